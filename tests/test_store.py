"""Store: model recorded in the collection, mismatch refused with a fix, reindex, record manager."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag
from rag.store import MODEL_KEY, SQLiteRecordManager, open_store


def test_collection_records_the_embedding_model(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    assert open_store(settings).collection().metadata[MODEL_KEY] == settings.embedding_model


def test_other_model_is_refused_with_how_to_reindex(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    other = settings.model_copy(update={"embedding_model": "/models/some-other-model"})
    with pytest.raises(rag.EmbeddingModelMismatchError, match="rag reindex"):
        rag.build_chain(other)


def test_missing_index_says_to_ingest(settings: rag.Settings) -> None:
    with pytest.raises(rag.IndexMissingError, match="rag ingest"):
        rag.build_retriever(settings)


def test_reindex_rebuilds_from_the_recorded_files(settings: rag.Settings, corpus_dir: Path) -> None:
    first = rag.ingest([corpus_dir], settings)
    report = rag.reindex(settings)
    assert len(report.added) == 2
    assert report.chunks_added == first.chunks_added
    assert open_store(settings).collection().count() == first.chunks_added


def test_record_manager_round_trip(tmp_path: Path) -> None:
    manager = SQLiteRecordManager("ns", tmp_path / "records.sqlite")
    manager.create_schema()
    manager.update(["a", "b", "c"], group_ids=["s1", "s1", "s2"])
    assert manager.exists(["a", "x", "c"]) == [True, False, True]
    assert sorted(manager.list_keys(group_ids=["s1"])) == ["a", "b"]
    assert sorted(manager.groups()) == ["s1", "s2"]
    later = manager.get_time() + 1
    assert sorted(manager.list_keys(before=later)) == ["a", "b", "c"]
    manager.delete_keys(["a"])
    assert manager.list_keys(group_ids=["s1"]) == ["b"]
    other = SQLiteRecordManager("other", tmp_path / "records.sqlite")
    assert other.list_keys() == []
