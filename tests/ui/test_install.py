"""`rag ui` from a plain wheel install: the chat page must ship inside the package, not beside it.

The editable install of the development venv hides this, since there the repository is on hand. So
the test builds a wheel, installs it into a fresh venv and borrows only the dependencies from the
development venv: a .pth line puts that site-packages folder on sys.path, but the .pth files inside
it (among them the editable hook that maps `rag` to this checkout) are not processed, so `import
rag` finds the wheel's copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import REPO
from tests.servers import free_port, wait_for
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow
PIP = [sys.executable, "-m", "pip"]  # the development venv's pip; `--python` points it at the fresh venv


def run(command: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run `command`, failing the test with its output when it fails; return its stdout."""
    done = subprocess.run(
        [str(part) for part in command], check=False, capture_output=True, text=True, cwd=cwd, env=env
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(folder: Path) -> Path:
    """A wheel of this checkout, built offline from a copy (setuptools writes build/ and *.egg-info
    into the source tree, and the checkout is shared with whoever else works in it)."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "rag", source / "rag", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = folder / "wheels"
    run([*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, source])
    [wheel] = wheels.glob("rag-*.whl")
    return wheel


def fresh_venv(folder: Path, wheel: Path) -> Path:
    """A new venv holding only `wheel`, with the development venv's packages visible; returns its python."""
    run([sys.executable, "-m", "venv", "--without-pip", folder])
    python = folder / "bin" / "python"
    run([*PIP, "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel])
    site_packages = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site_packages / "development-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment for the installed rag: nothing points back at the checkout, the store is empty."""
    env = {name: value for name, value in os.environ.items() if name not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(RAG_PERSIST_DIR=str(tmp_path / "store"), HF_HUB_OFFLINE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture
def served(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[str]:
    """`rag ui` of the fresh venv, serving on 127.0.0.1 from a folder outside the checkout."""
    venv = tmp_path / "venv"
    python = fresh_venv(venv, build_wheel(tmp_path))
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    located = run([python, "-c", "import rag; print(rag.__file__)"], cwd=cwd, env=clean_env).strip()
    assert Path(located).is_relative_to(venv), f"rag was imported from {located}, not from the installed wheel"

    port = free_port()
    log = tmp_path / "rag-ui.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [venv / "bin" / "rag", "ui", "--port", str(port)],
            cwd=cwd,
            env=clean_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(f"{url}/_stcore/health", process)
        except AssertionError as exc:
            pytest.fail(f"{exc}; `rag ui` said:\n{log.read_text(errors='replace')}")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already when `rag ui` failed to start
            os.killpg(process.pid, signal.SIGTERM)  # `rag ui` and the streamlit it started
        process.wait(timeout=30)


def test_rag_ui_serves_the_chat_page_from_a_wheel_install(served: str) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install chromium); .ci/run does"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(served)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_role("heading", name="Articles", exact=True)).to_be_visible(timeout=90_000)
            expect(sidebar.get_by_text("Nothing is indexed yet")).to_be_visible()
            expect(page.get_by_role("heading", name="Ask the articles")).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
        finally:
            browser.close()
