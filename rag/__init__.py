"""rag: question answering over news articles, every claim tied to the passage it came from.

Usage:
    >>> import rag
    >>> rag.ingest(["corpus"])  # doctest: +SKIP
    >>> chain = rag.build_chain()  # doctest: +SKIP
    >>> chain.invoke({"question": "What did Ushakov say about territory?", "chat_history": []})  # doctest: +SKIP
"""

from rag.config import Settings
from rag.errors import (
    ConfigurationError,
    EmbeddingModelMismatchError,
    IndexMissingError,
    MissingExtraError,
    QuestionError,
    RagError,
    StoreBusyError,
)
from rag.indexing import IngestReport, ingest
from rag.retrieval import HybridRetriever, build_retriever

__all__ = [
    "ConfigurationError",
    "EmbeddingModelMismatchError",
    "HybridRetriever",
    "IndexMissingError",
    "IngestReport",
    "MissingExtraError",
    "QuestionError",
    "RagError",
    "Settings",
    "build_retriever",
    "ingest",
]
