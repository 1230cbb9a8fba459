"""The small family of errors rag raises; each message says how to fix the problem."""

from __future__ import annotations


class RagError(Exception):
    """Base class for every error rag raises on purpose."""


class ConfigurationError(RagError):
    """A setting is invalid or an optional backend is not installed."""


class MissingExtraError(ConfigurationError):
    """An optional backend's package is not installed."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(f"{feature} needs the '{package}' package. Install it with: pip install 'rag[{extra}]'")


class QuestionError(RagError):
    """The question cannot be asked (empty, or not text)."""


class IndexMissingError(RagError):
    """Nothing has been ingested yet."""

    def __init__(self, where: str) -> None:
        super().__init__(f"No articles are indexed in {where}. Run `rag ingest [PATH...]` first.")


class EmbeddingModelMismatchError(RagError):
    """The store was built with another embedding model than the configured one."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"The index was built with embedding model '{stored}', but RAG_EMBEDDING_MODEL is "
            f"'{configured}' (set, or the default). Either set RAG_EMBEDDING_MODEL='{stored}', or re-index with the new "
            "model: `rag reindex`."
        )


class ModelIntegrityError(RagError):
    """The bundled model's weights do not match their recorded checksum."""


class LLMError(RagError):
    """The LLM could not answer: unreachable, too slow, or its reply was unusable."""


class StoreBusyError(RagError):
    """Another process is writing to the same store."""
