"""Chroma server mode: a real `chroma run` on 127.0.0.1, and behind nginx when a token is required."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import rag
from tests.conftest import REPO, copy_corpus
from tests.servers import free_port, wait_for
from tests.ui.conftest import open_app  # noqa: F401 - the fixture, shared with the UI tests
from tests.ui.test_app import plain

CHROMA = Path(sys.executable).with_name("chroma")
TOKEN = "s3cret-token"
USHAKOV = "What did Ushakov say about territory?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", process, timeout=60)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def token_url(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Chroma server behind nginx that wants `Authorization: Bearer <TOKEN>` (Chroma 1.x has no auth)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "install Debian's nginx-light (apt-get install nginx-light); .ci/run does"
    root = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (root / "nginx.conf").write_text(f"""
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 100m;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            if ($http_authorization != "Bearer {TOKEN}") {{ return 401; }}
            proxy_pass {chroma_url};
            proxy_http_version 1.1;
        }}
    }}
}}
""")
    process = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", process, expect=401, timeout=60)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def server_settings(tmp_path: Path, url: str, collection: str, **extra: object) -> rag.Settings:
    return rag.Settings(persist_dir=tmp_path / "local", chroma_url=url, collection=collection, progress=False, **extra)


def test_ingest_ask_search_and_status_against_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = server_settings(tmp_path, chroma_url, "server_basic")
    report = rag.ingest([copy_corpus(tmp_path / "corpus")], settings)
    assert len(report.added) == 2
    assert rag.ingest([tmp_path / "corpus"], settings).summary().startswith("0 added, 0 updated, 2 unchanged")

    result = rag.build_chain(settings).invoke({"question": USHAKOV, "chat_history": []})
    assert not result["abstained"] and len({c["source"] for c in result["citations"]}) == 2
    found = rag.build_retriever(settings).invoke("Ushakov territori")
    assert found and "Ushakov" in " ".join(d.page_content for d in found)
    status = rag.index_status(settings)
    assert status.store == chroma_url and len(status.articles) == 2 and status.chunks == report.chunks_added > 20


def test_a_second_app_process_elsewhere_shares_the_server(chroma_url: str, tmp_path: Path) -> None:
    writer = server_settings(tmp_path / "machine-a", chroma_url, "server_shared")
    rag.ingest([copy_corpus(tmp_path / "corpus")], writer)
    env = {
        **os.environ,
        "RAG_CHROMA_URL": chroma_url,
        "RAG_COLLECTION": "server_shared",
        "RAG_PERSIST_DIR": str(tmp_path / "machine-b"),
        "HF_HUB_OFFLINE": "1",
    }
    other = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", USHAKOV],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert other.returncode == 0, other.stderr
    assert "non ha trovato alcun compromesso possibile sui territori" in other.stdout


def test_a_server_that_requires_a_token_gets_it(token_url: str, tmp_path: Path) -> None:
    with pytest.raises(rag.RagError, match="RAG_CHROMA_TOKEN"):
        rag.ingest([copy_corpus(tmp_path / "corpus")], server_settings(tmp_path, token_url, "server_token"))
    settings = server_settings(tmp_path, token_url, "server_token", chroma_token=TOKEN)
    assert len(rag.ingest([tmp_path / "corpus"], settings).added) == 2
    result = rag.build_chain(settings).invoke({"question": USHAKOV, "chat_history": []})
    assert result["citations"] and not result["abstained"]


def test_unreachable_server_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(rag.RagError, match="chroma run"):
        rag.index_status(server_settings(tmp_path, url, "nowhere"))


def test_the_chat_page_shows_the_server_as_its_store(
    chroma_url: str,
    tmp_path: Path,
    open_app: Callable[..., AppTest],  # noqa: F811 - the fixture imported above
) -> None:
    settings = server_settings(tmp_path, chroma_url, "server_ui")
    rag.ingest([copy_corpus(tmp_path / "corpus")], settings)
    app = open_app(settings, RAG_CHROMA_URL=chroma_url, RAG_COLLECTION="server_ui")
    assert f"Store: {chroma_url}" in plain(" ".join(c.value for c in app.sidebar.caption))
    app.chat_input[0].set_value(USHAKOV).run()
    assert not app.exception and app.chat_message[1].markdown
