"""Chat models for written answers: Ollama, or any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenAI).

`RAG_LLM=ollama:<model>` or `RAG_LLM=openai:<model>`; `RAG_LLM_BASE_URL`, `RAG_LLM_API_KEY`. Each
backend is an optional extra. This is the one place that knows the backends apart: the rest of rag
sees LangChain's `BaseChatModel`.

Usage:
    >>> backend = chat_backend(Settings(llm="ollama:qwen2.5:3b"))  # doctest: +SKIP
    >>> backend.structured.invoke([("user", "…")])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from rag.config import Settings
from rag.errors import ConfigurationError, MissingExtraError

OLLAMA_URL = "http://127.0.0.1:11434"

# What the model returns: claims, each with the passages it rests on and the words it quotes.
REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answerable": {"type": "boolean"},
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "citations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"passage": {"type": "integer"}, "quote": {"type": "string"}},
                            "required": ["passage", "quote"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["text", "citations"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["answerable", "claims"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ChatBackend:
    """A chat model twice: constrained to the reply schema, and free (for rewriting questions)."""

    name: str
    plain: BaseChatModel
    structured: Runnable


def chat_backend(settings: Settings) -> ChatBackend:
    """The chat model `RAG_LLM` names (not for 'extractive')."""
    backend, _, model = settings.llm.partition(":")
    if backend == "ollama":
        return _ollama(model, settings)
    if backend == "openai":
        return _openai(model, settings)
    raise ConfigurationError(f"RAG_LLM={settings.llm!r} names no LLM backend; use 'ollama:<model>' or 'openai:<model>'.")


def _ollama(model: str, settings: Settings) -> ChatBackend:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise MissingExtraError("RAG_LLM=ollama:…", "ollama", "langchain-ollama") from exc
    options: dict[str, Any] = {
        "model": model,
        "base_url": settings.llm_base_url or OLLAMA_URL,
        "temperature": 0,
        "client_kwargs": {"timeout": settings.llm_timeout},
    }
    return ChatBackend(settings.llm, ChatOllama(**options), ChatOllama(**options, format=REPLY_SCHEMA))


def _openai(model: str, settings: Settings) -> ChatBackend:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise MissingExtraError("RAG_LLM=openai:…", "openai", "langchain-openai") from exc
    if settings.llm_api_key is None and not settings.llm_base_url:
        raise ConfigurationError("RAG_LLM=openai:… without RAG_LLM_BASE_URL talks to OpenAI: set RAG_LLM_API_KEY.")
    # Local servers want no key, but the client insists on one.
    api_key = settings.llm_api_key or SecretStr("not-needed")
    plain = ChatOpenAI(
        model=model, base_url=settings.llm_base_url, api_key=api_key, temperature=0,
        timeout=settings.llm_timeout, max_retries=0,  # rag retries itself, within the answer's deadline
    )
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": REPLY_SCHEMA, "strict": True}}
    return ChatBackend(settings.llm, plain, plain.bind(response_format=response_format))
