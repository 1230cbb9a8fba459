"""Ingestion: idempotent, incremental, prunes deleted files, skips bad files without losing data."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag
from rag.indexing import Ingestor
from rag.store import open_store


def test_ingest_reports_added_then_unchanged(settings: rag.Settings, corpus_dir: Path) -> None:
    first = rag.ingest([corpus_dir], settings)
    assert len(first.added) == 2 and not first.skipped
    assert first.chunks_added > 10

    second = rag.ingest([corpus_dir], settings)
    assert len(second.unchanged) == 2
    assert second.chunks_added == 0 and second.chunks_deleted == 0
    assert open_store(settings).collection().count() == first.chunks_added


def test_editing_one_article_re_embeds_only_it(settings: rag.Settings, corpus_dir: Path, tmp_path: Path) -> None:
    rag.ingest([corpus_dir], settings)
    store = open_store(settings)
    before = store.collection().count()
    other = str((corpus_dir / "2025-12-03-putin-witkoff-cremlino.txt").resolve())
    other_before = {i: t for i, t, m in zip(*store.all_chunks(), strict=True) if m["source"] == other}
    edited = corpus_dir / "fox-news-putin-witkoff-kushner.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nUn nuovo paragrafo aggiunto alla fine dell’articolo.\n",
        encoding="utf-8",
    )

    report = rag.ingest([corpus_dir], settings)

    assert report.updated == (str(edited.resolve()),)
    assert len(report.unchanged) == 1
    # Only the edited file's changed chunks are embedded again; the other article's are untouched.
    assert 0 < report.chunks_added <= 3
    ids, texts, metas = store.all_chunks()
    assert len(ids) == len(set(ids))
    assert any("Un nuovo paragrafo aggiunto" in t for t in texts)
    assert store.collection().count() == len(ids) == before - report.chunks_deleted + report.chunks_added
    assert {i: t for i, t, m in zip(ids, texts, metas, strict=True) if m["source"] == other} == other_before
    # Exactly the chunks a fresh ingest of the edited corpus gives: nothing stale left, nothing missing.
    fresh = settings.model_copy(update={"persist_dir": tmp_path / "fresh"})
    rag.ingest([corpus_dir], fresh)
    fresh_ids, fresh_texts, fresh_metas = open_store(fresh).all_chunks()
    assert dict(zip(ids, zip(texts, metas, strict=True), strict=True)) == dict(
        zip(fresh_ids, zip(fresh_texts, fresh_metas, strict=True), strict=True)
    )


def test_deleted_file_is_removed_from_store_and_bm25(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    gone = corpus_dir / "2025-12-03-putin-witkoff-cremlino.txt"
    gone.unlink()

    report = rag.ingest([corpus_dir], settings)

    assert report.removed == (str(gone.resolve()),)
    sources = {m["source"] for m in open_store(settings).all_chunks()[2]}
    assert sources == {str((corpus_dir / "fox-news-putin-witkoff-kushner.txt").resolve())}
    found = rag.build_retriever(settings).search("Dmitriev Fondo Russo per gli Investimenti Diretti", k=20)
    assert all(doc.metadata["source"] != str(gone.resolve()) for doc, _ in found)


def test_bad_files_are_named_and_the_rest_ingested(settings: rag.Settings, corpus_dir: Path) -> None:
    (corpus_dir / "empty.txt").write_bytes(b"")
    (corpus_dir / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (corpus_dir / "latin1.txt").write_bytes("Il governo è caduto. La crisi è più grave del previsto.".encode("cp1252"))

    report = rag.ingest([corpus_dir, corpus_dir / "missing.txt"], settings)

    reasons = dict(report.skipped)
    assert "empty file" in reasons[str(corpus_dir / "empty.txt")]
    assert "binary" in reasons[str(corpus_dir / "binary.txt")]
    assert "no such file" in reasons[str(corpus_dir / "missing.txt")]
    assert len(report.added) == 3  # the two articles and the cp1252 file
    texts = open_store(settings).all_chunks()[1]
    assert any("La crisi è più grave" in t for t in texts)


def test_a_file_turning_bad_keeps_its_indexed_chunks(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    store = open_store(settings)
    before = store.collection().count()
    small = settings.model_copy(update={"max_file_bytes": 100})

    report = rag.ingest([corpus_dir], small)

    assert len(report.skipped) == 2 and all("limit" in why for _, why in report.skipped)
    assert store.collection().count() == before


def test_remove_deletes_one_article(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    source = str((corpus_dir / "fox-news-putin-witkoff-kushner.txt").resolve())

    report = rag.remove([source], settings)

    assert report.removed == (source,)
    status = rag.index_status(settings)
    assert [a.source for a in status.articles] == [
        str((corpus_dir / "2025-12-03-putin-witkoff-cremlino.txt").resolve())
    ]


def test_second_writer_fails_fast(settings: rag.Settings, corpus_dir: Path) -> None:
    store = open_store(settings)
    with store.writer_lock(), pytest.raises(rag.StoreBusyError, match="Another ingest"):
        Ingestor(open_store(settings)).run_paths([corpus_dir])


def test_chunk_metadata_maps_back_to_the_file(settings: rag.Settings, corpus_dir: Path) -> None:
    rag.ingest([corpus_dir], settings)
    _, texts, metas = open_store(settings).all_chunks()
    for text, meta in zip(texts, metas, strict=True):
        assert {"source", "title", "lang", "chunk_id", "start", "end", "kind"} <= meta.keys()
        assert Path(meta["source"]).read_text()[meta["start"] : meta["end"]] == text
    dated = [m for m in metas if m["source"].endswith("cremlino.txt")]
    assert {m["date"] for m in dated} == {"2025-12-03"}
    assert {m.get("outlet") for m in metas if m["source"].endswith("kushner.txt")} == {"Fox News"}


SAME_NAME_PAGES = {
    "ansa": "Il sindaco Ottavio Brambilla ha detto che il nuovo ponte sul fiume Adda aprirà a marzo, dopo due anni di lavori.",
    "corriere": "Secondo Ottavio Brambilla, il parcheggio della stazione di Lecco sarà gratuito per i pendolari da gennaio.",
}


def test_same_named_files_in_two_folders_both_answer(settings: rag.Settings, tmp_path: Path) -> None:
    # Two outlets' pages saved as index.html: their chunk ids once collided and one article vanished.
    for outlet, sentence in SAME_NAME_PAGES.items():
        folder = tmp_path / "pages" / outlet
        folder.mkdir(parents=True)
        page = f"<html><head><title>{outlet}</title></head><body><article><p>{sentence}</p></article></body></html>"
        (folder / "index.html").write_text(page, encoding="utf-8")
    report = rag.ingest([tmp_path / "pages"], settings)
    assert len(report.added) == 2

    _, _, metadatas = open_store(settings).all_chunks()
    assert len({m["chunk_id"] for m in metadatas}) == len(metadatas) == 2
    result = rag.build_chain(settings).invoke({"question": "Cosa ha detto Ottavio Brambilla?", "chat_history": []})
    cited = {Path(c["source"]).parent.name for c in result["citations"]}
    assert cited == {"ansa", "corriere"}, result["answer"]
