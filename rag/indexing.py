"""Indexing: incremental, idempotent ingestion of articles into the store.

LangChain's indexing API with a record manager gives every chunk a content-derived id, so
re-ingesting unchanged files embeds nothing, an edited file's old chunks are replaced, and a file
deleted from an ingested folder is removed. Files are indexed in whole-file batches so a file's
chunks are never split across two cleanup passes. Bad files are named in the report and skipped;
what was indexed before stays.

Usage:
    >>> report = ingest([Path("corpus")])  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    2 added, 0 updated, 0 unchanged, 0 removed, 0 skipped
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.indexing import index

from rag.chunking import chunk_document
from rag.config import Settings
from rag.dates import date_number
from rag.fetching import Fetcher, is_url
from rag.loading import LoadedDocument, LoadError, discover, load_file
from rag.store import ArticleStore, SQLiteRecordManager, open_store
from rag.web import WebReader

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did, file by file."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (source, the indexed article it copies)
    chunks_added: int = 0
    chunks_deleted: int = 0
    notes: tuple[str, ...] = field(default=(), repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.chunks_added or self.chunks_deleted)

    def summary(self) -> str:
        copies = f", {len(self.duplicates)} duplicates" if self.duplicates else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped{copies}"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per duplicate and per skipped file or URL, with its reason."""
        out = [self.summary() + f" ({self.chunks_added} chunks embedded, {self.chunks_deleted} deleted)"]
        out.extend(f"{source}: duplicate of {original}, not indexed again" for source, original in self.duplicates)
        out.extend(f"skipped {path}: {reason}" for path, reason in self.skipped)
        return out


def chunk_records(doc: LoadedDocument, settings: Settings) -> list[Document]:
    """LangChain documents for the chunks of one loaded article."""
    base: dict[str, Any] = {
        "source": doc.source,
        "title": doc.title,
        "lang": doc.lang,
        "date": doc.date,
        "date_num": date_number(doc.date) if doc.date else None,
        "url": doc.url,
        "outlet": doc.outlet,
        "author": doc.author,
    }
    base = {k: v for k, v in base.items() if v is not None}
    records = []
    for chunk in chunk_document(doc, settings.chunk_chars, settings.chunk_overlap_sentences):
        para_start, para_end = paragraph_bounds(doc.text, chunk.start, chunk.end)
        meta = {
            **base,
            # The whole source: two files named index.html in different folders are different articles.
            "chunk_id": f"{doc.source}#{chunk.index}",
            "start": chunk.start,
            "end": chunk.end,
            "kind": chunk.kind,
            "para_start": para_start,
            "para_end": para_end,
        }
        records.append(Document(page_content=chunk.text, metadata=meta))
    return records


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the paragraph(s) (text between line breaks) that `text[start:end]` lies in."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    return para_start, len(text) if para_end == -1 else para_end


def load_files(paths: Sequence[Path], settings: Settings) -> tuple[list[LoadedDocument], list[tuple[str, str]]]:
    """The articles in these files and folders, and each file that cannot be read with its reason."""
    files, skipped = discover(paths)
    loaded: list[LoadedDocument] = []
    for path in files:
        try:
            loaded.append(load_file(path.resolve(), settings.max_file_bytes))
        except LoadError as exc:
            logger.warning("skipping %s: %s", path, exc)
            skipped.append((str(path), str(exc)))
    return loaded, skipped


class Ingestor:
    """Writes loaded articles into an `ArticleStore`, which then publishes its lexical index."""

    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def run_paths(
        self, paths: Sequence[Path | str], on_progress: Callable[[int, int], None] | None = None
    ) -> IngestReport:
        """Ingest files, folders and URLs (pages or feeds); what cannot be read is named and skipped.

        :param on_progress: called with (done, total) while a feed's pages are fetched.
        """
        urls = [p for p in paths if isinstance(p, str) and is_url(p)]
        local = [Path(p) for p in paths if p not in urls]
        settings = self.store.settings
        loaded, skipped = load_files(local, settings)
        reader = WebReader(Fetcher(settings), on_progress)
        for url in urls:
            result = reader.read(url)
            loaded.extend(result.documents)
            skipped.extend(result.skipped)
        folders = [p.resolve() for p in local if p.is_dir()]
        return self.run(loaded, skipped=skipped, prune_folders=folders)

    def run(
        self,
        documents: Iterable[LoadedDocument],
        *,
        skipped: Sequence[tuple[str, str]] = (),
        prune_folders: Sequence[Path] = (),
        fold_duplicates: bool = True,
    ) -> IngestReport:
        """Index `documents`; remove sources under `prune_folders` whose files are gone.

        :param fold_duplicates: record near-duplicates of indexed articles as copies instead of
            indexing them (off for dataset paragraphs, which are not news articles).
        """
        settings = self.store.settings
        with self.store.writer_lock(), self._publish_pending() as interrupted:
            vector_store = self.store.vector_store(create=True)
            records = self.store.record_manager
            # Pruned first: a file whose original has gone is indexed as itself, not as its copy.
            removed = self._prune(prune_folders, records)
            documents = list(documents)
            before = {doc.source: set(records.list_keys(group_ids=[doc.source])) for doc in documents}
            copies: list[tuple[str, str]] = []
            if fold_duplicates:
                documents, copies = self.store.duplicates.fold(
                    documents, indexed={s for s, keys in before.items() if keys}
                )
            added = deleted = 0
            for batch in self._batches(documents, settings):
                result = index(
                    batch,
                    records,
                    vector_store,
                    cleanup="incremental",
                    source_id_key="source",
                    key_encoder="sha256",
                    batch_size=len(batch) or 1,
                )
                added += result["num_added"] + result["num_updated"]
                deleted += result["num_deleted"]
            deleted += sum(removed.values())
            status: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
            for doc in documents:
                if is_url(doc.source):  # no file to re-read the whole article from
                    self.store.keep_page(doc)
                after = set(records.list_keys(group_ids=[doc.source]))
                key = "added" if not before[doc.source] else "unchanged" if after == before[doc.source] else "updated"
                status[key].append(doc.source)
            report = IngestReport(
                added=tuple(status["added"]),
                updated=tuple(status["updated"]),
                unchanged=tuple(status["unchanged"]),
                removed=tuple(removed),
                skipped=tuple(skipped),
                duplicates=tuple(copies),
                chunks_added=added,
                chunks_deleted=deleted,
            )
            if report.changed or interrupted or not self.store.lexical_folder.exists():
                self.store.publish()  # a fresh store gets its lexical index even when nothing changed
        logger.info("ingest: %s", report.summary())
        return report

    def remove(self, sources: Sequence[str]) -> IngestReport:
        """Delete every chunk of `sources` from the store."""
        with self.store.writer_lock(), self._publish_pending() as interrupted:
            vector_store = self.store.vector_store()
            records = self.store.record_manager
            removed: list[str] = []
            deleted = 0
            for source in sources:
                keys = records.list_keys(group_ids=[source])
                if keys:
                    vector_store.delete(ids=keys)
                    records.delete_keys(keys)
                    removed.append(source)
                    deleted += len(keys)
                self._forget(source)
            report = IngestReport(removed=tuple(removed), chunks_deleted=deleted)
            if report.changed or interrupted:
                self.store.publish()
        return report

    @contextmanager
    def _publish_pending(self) -> Iterator[bool]:
        """A marker that lives from the first write to the published BM25 index.

        Yields whether an earlier run was killed before publishing: its writes may be in Chroma and
        the record manager, where a rerun sees them as "unchanged", so the index must be rebuilt.
        """
        marker = self.store.lexical_folder.with_suffix(".pending")
        interrupted = marker.exists()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        yield interrupted
        marker.unlink()  # not reached when the run fails: the next one publishes

    def _batches(self, documents: list[LoadedDocument], settings: Settings) -> Iterator[list[Document]]:
        """Whole files per batch, about `settings.ingest_batch_chunks` chunks each, with a progress bar.

        The batch is what the encoder gets in one call, and it groups rows of like length
        (`embeddings.length_batches`) better over more of them: MiniLM encoded the 1,095 news
        chunks in 17.3 s in calls of 256, 16.7 s in calls of 1,024 and 16.6 s in one call
        (docs/retrieval.md, "Twelfth round").
        """
        from tqdm import tqdm

        batch: list[Document] = []
        progress = tqdm(documents, unit="file", desc="ingesting", disable=not settings.progress or len(documents) < 20)
        for doc in progress:
            batch.extend(chunk_records(doc, settings))
            if len(batch) >= settings.ingest_batch_chunks:
                yield batch
                batch = []
        if batch:
            yield batch

    def _prune(self, folders: Sequence[Path], records: SQLiteRecordManager) -> dict[str, int]:
        """Remove the chunks of files that were ingested from `folders` and no longer exist."""
        vector_store = self.store.vector_store()
        removed: dict[str, int] = {}
        for source in records.groups():
            path = Path(source)
            inside = any(path.is_relative_to(folder) for folder in folders)
            if inside and not path.exists():
                keys = records.list_keys(group_ids=[source])
                vector_store.delete(ids=keys)
                records.delete_keys(keys)
                removed[source] = len(keys)
                self._forget(source)
        return removed

    def _forget(self, source: str) -> None:
        self.store.duplicates.forget(source)
        self.store.forget_page(source)


def ingest(
    paths: Sequence[Path | str],
    settings: Settings | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest files and folders (`.txt`, `.md`, `.html`) and URLs of pages or feeds into the configured store.

    :param on_progress: called with (done, total) while a feed's pages are fetched.
    """
    settings = settings or Settings()
    return Ingestor(open_store(settings)).run_paths(list(paths), on_progress)


def reindex(settings: Settings | None = None) -> IngestReport:
    """Rebuild the store from the files and fetched pages it was built from, with the configured model.

    Fetched pages are rebuilt from the copies kept at ingestion, not fetched again: a page gone
    from the web stays indexed.
    """
    settings = settings or Settings()
    store = open_store(settings)
    records = store.record_manager
    sources = records.groups()
    pages = [page for source in sources if is_url(source) and (page := store.kept_page(source)) is not None]
    paths = [Path(source) for source in sources if not is_url(source)]
    with store.writer_lock():
        store.delete_collection()
        records.delete_keys(records.list_keys())
    kept = {page.source for page in pages}
    lost = [
        (source, "no kept copy of the page; not re-indexed: ingest the URL again")
        for source in sources
        if is_url(source) and source not in kept
    ]
    missing = [(str(p), "file no longer exists; not re-indexed") for p in paths if not p.exists()]
    loaded, skipped = load_files([p for p in paths if p.exists()], settings)
    # The same articles as before: none of them is a copy of another.
    return Ingestor(store).run([*pages, *loaded], skipped=[*skipped, *lost, *missing], fold_duplicates=False)


def remove(sources: Sequence[str], settings: Settings | None = None) -> IngestReport:
    """Remove articles (by their `source`) from the configured store."""
    settings = settings or Settings()
    return Ingestor(open_store(settings)).remove(list(sources))
