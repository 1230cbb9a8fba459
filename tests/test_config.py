"""Settings: RAG_* environment variables, defaults, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import rag
from rag.config import BUNDLED_MODEL


def test_defaults() -> None:
    settings = rag.Settings()
    assert settings.persist_dir == Path(".rag")
    assert settings.llm == "extractive" and settings.embedding_model == BUNDLED_MODEL
    assert settings.chroma_url is None


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_PERSIST_DIR", str(tmp_path / "x"))
    monkeypatch.setenv("RAG_K", "9")
    monkeypatch.setenv("RAG_COLLECTION", "news")
    monkeypatch.setenv("RAG_CHROMA_URL", "http://127.0.0.1:8123")
    settings = rag.Settings()
    assert (settings.persist_dir, settings.k, settings.collection) == (tmp_path / "x", 9, "news")
    assert settings.store_location == "http://127.0.0.1:8123"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "gpt")
    with pytest.raises(ValidationError, match="RAG_LLM"):
        rag.Settings()
    monkeypatch.setenv("RAG_LLM", "openai:gpt-4o-mini")
    assert rag.Settings().llm == "openai:gpt-4o-mini"
    with pytest.raises(ValidationError):
        rag.Settings(k=0)
