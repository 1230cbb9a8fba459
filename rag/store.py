"""Store: the Chroma collection (embedded or server) and the indexes that belong to it.

`ArticleStore` owns everything kept about the articles: the Chroma collection, the record
manager that makes ingestion incremental, and the lexical (BM25) index saved beside them. The
collection's metadata records which embedding model built it; opening it with another model
raises `EmbeddingModelMismatchError`. Every ingest that changes the collection publishes a new
`rag_generation` with a lexical index built for it, so readers in any process know when their
copy is stale and load (or rebuild) the current one.

Usage:
    >>> store = ArticleStore(Settings(), embeddings)  # doctest: +SKIP
    >>> store.vector_store().similarity_search("Ushakov", k=2)  # doctest: +SKIP
    >>> store.lexical_index().languages  # doctest: +SKIP
    ('en', 'it')
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
from langchain_chroma import Chroma
from langchain_core.indexing import RecordManager

from rag.config import Settings
from rag.duplicates import DuplicateIndex
from rag.embeddings import TextEmbeddings
from rag.errors import (
    ConfigurationError,
    EmbeddingModelMismatchError,
    IndexMissingError,
    RagError,
    StoreBusyError,
)
from rag.lexical import LexicalIndex
from rag.loading import LoadedDocument, build_document

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)

MODEL_KEY = "rag_embedding_model"
GENERATION_KEY = "rag_generation"
_PAGE = 5000


class SQLiteRecordManager(RecordManager):
    """LangChain record manager in one SQLite file: which chunk ids each source produced."""

    def __init__(self, namespace: str, path: Path) -> None:
        super().__init__(namespace)
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def create_schema(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS records (namespace TEXT NOT NULL, key TEXT NOT NULL,"
                " group_id TEXT, updated_at REAL NOT NULL, PRIMARY KEY (namespace, key))"
            )
            db.execute("CREATE INDEX IF NOT EXISTS records_group ON records (namespace, group_id)")

    async def acreate_schema(self) -> None:
        self.create_schema()

    def get_time(self) -> float:
        return time.time()

    async def aget_time(self) -> float:
        return self.get_time()

    def update(
        self,
        keys: Sequence[str],
        *,
        group_ids: Sequence[str | None] | None = None,
        time_at_least: float | None = None,
    ) -> None:
        if group_ids is not None and len(keys) != len(group_ids):
            raise ValueError("Length of keys must match length of group_ids")
        now = self.get_time()
        if time_at_least and time_at_least > now:
            raise ValueError("time_at_least must be in the past")
        with self._connect() as db:
            if group_ids is None:
                db.executemany(
                    "INSERT INTO records (namespace, key, group_id, updated_at) VALUES (?, ?, NULL, ?)"
                    " ON CONFLICT (namespace, key) DO UPDATE SET updated_at = excluded.updated_at",
                    [(self.namespace, key, now) for key in keys],
                )
            else:
                db.executemany(
                    "INSERT OR REPLACE INTO records (namespace, key, group_id, updated_at) VALUES (?, ?, ?, ?)",
                    [(self.namespace, key, group, now) for key, group in zip(keys, group_ids, strict=True)],
                )

    async def aupdate(
        self,
        keys: Sequence[str],
        *,
        group_ids: Sequence[str | None] | None = None,
        time_at_least: float | None = None,
    ) -> None:
        self.update(keys, group_ids=group_ids, time_at_least=time_at_least)

    def exists(self, keys: Sequence[str]) -> list[bool]:
        found: set[str] = set()
        with self._connect() as db:
            for i in range(0, len(keys), 500):
                part = list(keys[i : i + 500])
                marks = ",".join("?" * len(part))
                rows = db.execute(
                    f"SELECT key FROM records WHERE namespace = ? AND key IN ({marks})", [self.namespace, *part]
                )
                found.update(row[0] for row in rows)
        return [key in found for key in keys]

    async def aexists(self, keys: Sequence[str]) -> list[bool]:
        return self.exists(keys)

    def list_keys(
        self,
        *,
        before: float | None = None,
        after: float | None = None,
        group_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[str]:
        query = "SELECT key FROM records WHERE namespace = ?"
        params: list[Any] = [self.namespace]
        if before is not None:
            query += " AND updated_at < ?"
            params.append(before)
        if after is not None:
            query += " AND updated_at > ?"
            params.append(after)
        if group_ids is not None:
            query += f" AND group_id IN ({','.join('?' * len(group_ids))})"
            params.extend(group_ids)
        if limit:
            query += " LIMIT ?"
            params.append(limit)
        with self._connect() as db:
            return [row[0] for row in db.execute(query, params)]

    async def alist_keys(
        self,
        *,
        before: float | None = None,
        after: float | None = None,
        group_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[str]:
        return self.list_keys(before=before, after=after, group_ids=group_ids, limit=limit)

    def delete_keys(self, keys: Sequence[str]) -> None:
        with self._connect() as db:
            db.executemany("DELETE FROM records WHERE namespace = ? AND key = ?", [(self.namespace, k) for k in keys])

    async def adelete_keys(self, keys: Sequence[str]) -> None:
        self.delete_keys(keys)

    def groups(self) -> list[str]:
        """Every source that has records."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT DISTINCT group_id FROM records WHERE namespace = ? AND group_id IS NOT NULL", [self.namespace]
            )
            return [row[0] for row in rows]


class ArticleStore:
    """The Chroma collection of article chunks plus the bookkeeping around it."""

    def __init__(self, settings: Settings, embeddings: TextEmbeddings) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self._client: ClientAPI | None = None
        self._records: SQLiteRecordManager | None = None
        self._lexical: tuple[str, LexicalIndex] | None = None  # (generation, index)
        self._duplicates: DuplicateIndex | None = None
        self._lock = threading.Lock()
        self._lexical_lock = threading.Lock()

    @property
    def client(self) -> ClientAPI:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> ClientAPI:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if not self.settings.chroma_url:
            path = self.settings.persist_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        url = urlparse(self.settings.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ConfigurationError(
                f"RAG_CHROMA_URL must look like http://host:8000, got {self.settings.chroma_url!r}"
            )
        headers = {}
        if self.settings.chroma_token is not None:
            headers["Authorization"] = f"Bearer {self.settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                headers=headers,
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb reports every failure here as ValueError or Exception
            message = str(exc)
            if "401" in message or "403" in message or "Unauthorized" in message or "Forbidden" in message:
                raise ConfigurationError(
                    f"The Chroma server at {self.settings.chroma_url} refused the request: set RAG_CHROMA_TOKEN "
                    "to the token it expects."
                ) from exc
            raise RagError(
                f"Cannot reach the Chroma server at {self.settings.chroma_url} ({message.splitlines()[0][:120]}). "
                "Is `chroma run` running there? Unset RAG_CHROMA_URL to use the local store."
            ) from exc

    @property
    def record_manager(self) -> SQLiteRecordManager:
        """Which chunk ids each source produced; created (with its schema) once per store."""
        with self._lock:
            if self._records is None:
                records = SQLiteRecordManager(
                    f"chroma/{self.settings.collection}", self.settings.persist_dir / "records.sqlite"
                )
                records.create_schema()
                self._records = records
            return self._records

    @property
    def duplicates(self) -> DuplicateIndex:
        """Signatures of the indexed articles and the copies of them that were not indexed again."""
        with self._lock:
            if self._duplicates is None:
                self._duplicates = DuplicateIndex(
                    self.settings.persist_dir / f"duplicates-{self.settings.collection}.sqlite"
                )
            return self._duplicates

    def keep_page(self, doc: LoadedDocument) -> None:
        """Keep an article that has no file (a fetched page): citations index its text, reindex rebuilds it."""
        path = self._kept_path(doc.source)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {key: getattr(doc, key) for key in ("title", "date", "url", "outlet", "author", "lang")}
        path.write_text(json.dumps({"text": doc.text, "meta": meta}, ensure_ascii=False), encoding="utf-8")

    def kept_page(self, source: str) -> LoadedDocument | None:
        """The article `keep_page` kept for `source`, read back as it was loaded, if any."""
        path = self._kept_path(source)
        if not path.is_file():
            return None
        kept = json.loads(path.read_text(encoding="utf-8"))
        return build_document(source, kept["text"], {k: v for k, v in kept["meta"].items() if v})

    def forget_page(self, source: str) -> None:
        self._kept_path(source).unlink(missing_ok=True)

    def _kept_path(self, source: str) -> Path:
        name = hashlib.sha256(source.encode()).hexdigest() + ".json"
        return self.settings.persist_dir / "pages" / self.settings.collection / name

    def collection(self, create: bool = False) -> Collection:
        """The raw Chroma collection, checked against the configured embedding model."""
        from chromadb.errors import NotFoundError

        name = self.settings.collection
        try:
            collection = self.client.get_collection(name)
        except (NotFoundError, ValueError) as exc:
            if not create:
                raise IndexMissingError(self.settings.store_location) from exc
            collection = self.client.create_collection(
                name,
                metadata={MODEL_KEY: self.settings.embedding_identity, GENERATION_KEY: "empty"},
                configuration={"hnsw": {"space": "cosine"}},
            )
        stored = (collection.metadata or {}).get(MODEL_KEY)
        if stored and stored != self.settings.embedding_identity:
            raise EmbeddingModelMismatchError(stored, self.settings.embedding_identity)
        return collection

    def vector_store(self, create: bool = False) -> Chroma:
        self.collection(create=create)
        return Chroma(
            collection_name=self.settings.collection,
            embedding_function=self.embeddings,
            client=self.client,
            create_collection_if_not_exists=False,
        )

    def generation(self) -> str:
        return str((self.collection().metadata or {}).get(GENERATION_KEY, ""))

    def bump_generation(self) -> str:
        collection = self.collection()
        generation = uuid.uuid4().hex
        metadata = dict(collection.metadata or {})
        metadata[GENERATION_KEY] = generation
        collection.modify(metadata=metadata)
        return generation

    @property
    def lexical_folder(self) -> Path:
        """Where the lexical index of this collection is saved (always on this machine)."""
        return self.settings.persist_dir / "bm25" / self.settings.collection

    def lexical_index(self) -> LexicalIndex:
        """The lexical index of the collection's current generation: kept, loaded, or rebuilt when stale.

        Questions read the kept index without waiting on each other; while this process loads or
        builds one, they wait for it instead of building it a second time.
        """
        kept = self._lexical
        if kept is not None and kept[0] == self.generation():
            return kept[1]
        with self._lexical_lock:
            # Read again under the lock: a publish may have finished meanwhile, and an index must
            # never be saved under a generation older than the chunks it was built from.
            generation = self.generation()
            if self._lexical is None or self._lexical[0] != generation:
                index = LexicalIndex.load(self.lexical_folder, generation)
                if index is None:
                    index = self._build_lexical_index(generation)
                self._lexical = (generation, index)
            return self._lexical[1]

    def publish(self) -> str:
        """After a write: a new generation, so every reader reloads, and its lexical index built now."""
        with self._lexical_lock:
            generation = self.bump_generation()
            self._lexical = (generation, self._build_lexical_index(generation))
        return generation

    def _build_lexical_index(self, generation: str) -> LexicalIndex:
        ids, texts, metadatas = self.all_chunks()
        logger.info("building the lexical index over %d chunks", len(ids))
        index = LexicalIndex.build(ids, texts, metadatas)
        index.save(self.lexical_folder, generation)
        return index

    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every chunk's id, text and metadata, read page by page."""
        collection = self.collection()
        ids: list[str] = []
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            if not page["ids"]:
                break
            ids.extend(page["ids"])
            texts.extend(page["documents"] or [])
            metadatas.extend(dict(m or {}) for m in page["metadatas"] or [])
            offset += len(page["ids"])
        return ids, texts, metadatas

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored embedding of each chunk id that is in the collection."""
        if not ids:
            return {}  # Chroma refuses an empty id list, and a repeated id
        found = self.collection().get(ids=list(dict.fromkeys(ids)), include=["embeddings"])
        vectors = found["embeddings"] if found["embeddings"] is not None else []
        return {chunk_id: np.asarray(v, dtype=np.float32) for chunk_id, v in zip(found["ids"], vectors, strict=True)}

    def delete_collection(self) -> None:
        from chromadb.errors import NotFoundError

        try:
            self.client.delete_collection(self.settings.collection)
        except (NotFoundError, ValueError):
            logger.info("collection %s did not exist", self.settings.collection)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer per store folder: a second one fails at once instead of waiting."""
        from filelock import FileLock, Timeout

        self.settings.persist_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.persist_dir / "ingest.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise StoreBusyError(
                f"Another ingest is writing to {self.settings.persist_dir}; wait for it to finish and try again."
            ) from exc
        try:
            yield
        finally:
            lock.release()


def open_store(settings: Settings) -> ArticleStore:
    """The store for `settings`, sharing this process's loaded embedding model."""
    from rag.embeddings import shared_embeddings

    embeddings = shared_embeddings(
        settings.embedding_model, settings.embedding_batch_size, settings.embedding_backend, settings.model_cache_dir
    )
    return ArticleStore(settings, embeddings)
