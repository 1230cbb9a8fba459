"""What is indexed: status, article list, full text for highlighting, example questions."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag


def test_index_status_lists_articles_and_counts(shared_store: rag.Settings) -> None:
    status = rag.index_status(shared_store)
    assert len(status.articles) == 2
    assert status.chunks == sum(a.chunks for a in status.articles)
    assert status.embedding_model == shared_store.embedding_model
    assert status.store.endswith("chroma")
    dated = next(a for a in status.articles if a.date)
    assert dated.date == "2025-12-03" and dated.title.startswith("Putin e l’inviato USA")
    assert {a.outlet for a in status.articles} == {None, "Fox News"}


def test_article_text_is_what_citation_offsets_index(chain: object, shared_store: rag.Settings) -> None:
    result = chain.invoke({"question": "Who is Kirill Dmitriev?", "chat_history": []})  # type: ignore[attr-defined]
    citation = result["citations"][0]
    text = rag.article_text(citation["source"], shared_store)
    assert text[citation["start"] : citation["end"]] == citation["text"]
    assert text[citation["quote_start"] : citation["quote_end"]] == citation["quote"]


def test_article_text_of_a_vanished_file_says_to_reingest(tmp_path: Path) -> None:
    with pytest.raises(rag.RagError, match="re-ingest"):
        rag.article_text(str(tmp_path / "gone.txt"))


def test_example_questions_name_people_quoted_in_the_corpus(shared_store: rag.Settings) -> None:
    questions = rag.example_questions(shared_store)
    assert 1 <= len(questions) <= 3
    assert any("Ushakov" in q for q in questions)
    assert all(q.endswith("?") for q in questions)
