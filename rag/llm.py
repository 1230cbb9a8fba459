"""Chat models for written answers: Ollama, or any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenAI).

`RAG_LLM=ollama:<model>` or `RAG_LLM=openai:<model>`; `RAG_LLM_BASE_URL`, `RAG_LLM_API_KEY`. Each
backend is an optional extra. This is the one place that knows the backends apart: the rest of rag
sees LangChain's `BaseChatModel`.

`stream_reply` asks a backend under a deadline; the planner and the LLM answerer both use it.

Usage:
    >>> backend = chat_backend(Settings(llm="ollama:qwen2.5:3b"))  # doctest: +SKIP
    >>> stream_reply(backend.plain, [("user", "…")], deadline=time.monotonic() + 12, timeout=12)  # doctest: +SKIP
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from rag.config import Settings
from rag.errors import ConfigurationError, LLMError, MissingExtraError

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
    raise ConfigurationError(
        f"RAG_LLM={settings.llm!r} names no LLM backend; use 'ollama:<model>' or 'openai:<model>'."
    )


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
        model=model,
        base_url=settings.llm_base_url,
        api_key=api_key,
        temperature=0,
        timeout=settings.llm_timeout,
        max_retries=0,  # rag retries itself, within the answer's deadline
    )
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": REPLY_SCHEMA, "strict": True}}
    return ChatBackend(settings.llm, plain, plain.bind(response_format=response_format))


Messages = list[tuple[str, str]]


class RetryableError(LLMError):
    """A failure worth one more try: refused connection, server error, empty reply."""


class RejectedError(LLMError):
    """The server refused the request itself (HTTP 400), e.g. a reply schema it does not support."""


def stream_reply(
    model: Runnable,
    messages: Messages,
    deadline: float,
    timeout: float,
    on_progress: Callable[[str], None] | None = None,
) -> str:
    """The model's whole reply, streamed in a worker thread so a hung server costs at most the time left.

    :param deadline: `time.monotonic()` by which the reply must be complete.
    :param timeout: the configured timeout, named in the error.
    :param on_progress: called with the reply so far, at most every 0.1 s, and with the whole reply.
    :returns: the reply text.
    :raises LLMError: too slow, or the backend failed (`RetryableError`, `RejectedError` when worth knowing).
    """
    tokens: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in model.stream(messages):
                if stop.is_set():
                    return
                tokens.put(("token", chunk.text if hasattr(chunk, "text") else str(chunk)))
            tokens.put(("done", None))
        # Every failure of the backend (network, HTTP, parsing, the client's own bugs) must end
        # in a notice and the quoted answer, never in an exception in the reader's face.
        except Exception as exc:
            tokens.put(("error", exc))

    threading.Thread(target=work, name="rag-llm", daemon=True).start()
    reply = ""
    shown = 0.0
    while True:
        try:
            kind, value = tokens.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            stop.set()
            raise LLMError(f"did not answer within {timeout:g} s") from None
        if kind == "done":
            if not reply.strip():
                raise RetryableError("returned an empty reply")
            if on_progress:
                on_progress(reply)
            return reply
        if kind == "error":
            raise classify_error(value)
        reply += value
        if on_progress and time.monotonic() - shown > 0.1:
            on_progress(reply)
            shown = time.monotonic()


def classify_error(exc: BaseException) -> LLMError:
    """A backend's exception as the `LLMError` that says what to do about it."""
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    name = type(exc).__name__
    if status == 400:
        return RejectedError(f"rejected the request ({name}: {shorten(str(exc))})")
    if status in (401, 403):
        return LLMError(f"refused the credentials (HTTP {status}); check RAG_LLM_API_KEY")
    if "timeout" in name.lower():
        return LLMError("timed out")
    return RetryableError(f"failed: {name}: {shorten(str(exc))}")


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
