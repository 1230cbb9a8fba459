"""rag: question answering over news articles, every claim tied to the passage it came from.

Usage:
    >>> import rag
    >>> rag.ingest(["corpus"])  # doctest: +SKIP
    >>> chain = rag.build_chain()  # doctest: +SKIP
    >>> chain.invoke({"question": "What did Ushakov say about territory?", "chat_history": []})  # doctest: +SKIP
"""

from rag.articles import ArticleInfo, IndexStatus, article_text, example_questions, index_status
from rag.chain import build_chain
from rag.config import Settings
from rag.errors import (
    ConfigurationError,
    EmbeddingModelMismatchError,
    IndexMissingError,
    LLMError,
    MissingExtraError,
    QuestionError,
    RagError,
    StoreBusyError,
)
from rag.feeds import Feed, FeedUpdate, add_feed, list_feeds, remove_feed, update_feeds
from rag.generation import DraftListener
from rag.indexing import IngestReport, ingest, reindex, remove
from rag.retrieval import HybridRetriever, build_retriever

__all__ = [
    "ArticleInfo",
    "ConfigurationError",
    "DraftListener",
    "EmbeddingModelMismatchError",
    "Feed",
    "FeedUpdate",
    "HybridRetriever",
    "IndexMissingError",
    "IndexStatus",
    "IngestReport",
    "LLMError",
    "MissingExtraError",
    "QuestionError",
    "RagError",
    "Settings",
    "StoreBusyError",
    "add_feed",
    "article_text",
    "build_chain",
    "build_retriever",
    "example_questions",
    "index_status",
    "ingest",
    "list_feeds",
    "reindex",
    "remove",
    "remove_feed",
    "update_feeds",
]
