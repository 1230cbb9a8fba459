"""Shared fixtures: every data folder lives in tmp_path, the real model, Chroma and BM25 are used."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Nothing may reach the network: the bundled model is loaded from its package folder.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import rag
from tests.news_site import NewsSite, standard_site

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED_EVAL = REPO.parent / "shared" / "eval"


@pytest.fixture(scope="session", autouse=True)
def no_user_settings() -> Iterator[None]:
    """No RAG_* variable of the developer's leaks into a test, session fixtures included."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("RAG_"):
                patch.delenv(name)
        yield


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory, no_user_settings: None) -> Iterator[Path]:
    """The model is exported to ONNX once per session, into a tmp folder, not the user's cache."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_MODEL_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def isolated_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test runs in its own folder, so no .env file or default .rag/ is shared."""
    monkeypatch.chdir(tmp_path)


def copy_corpus(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in CORPUS.iterdir():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def settings(tmp_path: Path) -> rag.Settings:
    return rag.Settings(persist_dir=tmp_path / "store", progress=False)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> rag.Settings:
    """One ingested copy of the corpus for the read-only tests of a session."""
    root = tmp_path_factory.mktemp("shared")
    settings = rag.Settings(persist_dir=root / "store", progress=False)
    rag.ingest([copy_corpus(root / "corpus")], settings)
    return settings


@pytest.fixture(scope="session")
def chain(shared_store: rag.Settings):
    return rag.build_chain(shared_store)


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    """The test news site on 127.0.0.1 (tests/news_site.py), stopped after the test."""
    with NewsSite() as site:
        standard_site(site)
        yield site


@pytest.fixture
def web_settings(tmp_path: Path) -> rag.Settings:
    """Settings that may fetch from the local test site, without waiting between requests."""
    return rag.Settings(
        persist_dir=tmp_path / "store",
        progress=False,
        fetch_allow_private=True,
        fetch_host_interval=0,
        fetch_timeout=1.5,
        max_file_bytes=200_000,
    )
