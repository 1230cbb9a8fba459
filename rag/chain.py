"""The question-answering chain, built here and only here; the CLI and the UI call it.

    prepare (validate, detect language, resolve follow-ups: by the LLM when one is configured)
      | retrieve (hybrid retriever, with filters; with an LLM, the question translated too)
      | respond (extractive, or LLM with verified citations; streams the answer after the citations)

Input: `{"question": str, "chat_history": [(role, text), ...], "filters": {...}, "k": int}`
(`filters` and `k` optional; filters: `sources`, `date_from`, `date_to`).
Output: `{"answer", "citations", "abstained", "mode", "warnings"}`. With an LLM, pass
`config={"callbacks": [DraftListener(show)]}` to see its unverified draft while it is written.

Usage:
    >>> chain = build_chain(Settings())  # doctest: +SKIP
    >>> out = chain.invoke({"question": "Cosa ha detto Ushakov sui territori?", "chat_history": []})
    >>> out["citations"][0]["quote"]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Protocol

from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda
from langchain_core.runnables.utils import AddableDict

from rag.answering import Answer, ExtractiveAnswerer, QuestionFacts, analyse_question
from rag.config import Settings
from rag.errors import QuestionError
from rag.generation import DRAFT_EVENT, LLMAnswerer
from rag.language import detect_language, names
from rag.llm import chat_backend
from rag.retrieval import HybridRetriever, build_retriever

logger = logging.getLogger(__name__)

_FOLLOW_UP = re.compile(
    r"\b(he|she|him|her|his|they|them|their|it|that|this|those|lui|lei|loro|esso|essa|suo|sua|"
    r"questo|quello|dopo|next|then|else|also|anche|ancora)\b",
    re.IGNORECASE,
)


def clean_question(raw: object, limit: int) -> tuple[str, list[str]]:
    """The question as text without control characters, cut at `limit` characters."""
    if not isinstance(raw, str):
        raise QuestionError("The question must be text.")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in raw)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("The question is empty: type a question about the articles.")
    warnings = []
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] or text[:limit]
        warnings.append(f"The question was cut to its first {limit} characters (RAG_MAX_QUESTION_CHARS).")
    return text, warnings


def standalone_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Resolve a follow-up ("and what did he say next?") with the names of the latest turns."""
    if not history or names(question[1:]):
        return question
    if not _FOLLOW_UP.search(question) and len(question.split()) > 6:
        return question
    for role, text in reversed(list(history)):
        found = list(dict.fromkeys(names(text)))
        if role == "user" and found:
            return f"{question} {' '.join(found)}"
    for _, text in reversed(list(history)):
        found = list(dict.fromkeys(names(text)))
        if found:
            return f"{question} {' '.join(found[:3])}"
    return question


class Answerer(Protocol):
    """What the chain needs of an answerer (`ExtractiveAnswerer`, `generation.LLMAnswerer`)."""

    def rewrite(self, question: str, history: Sequence[tuple[str, str]], heuristic: str, deadline: float) -> str: ...

    def search_queries(self, query: str, lang: str, corpus_languages: Sequence[str], deadline: float) -> list[str]: ...

    def answer(
        self,
        facts: QuestionFacts,
        passages: list[Document],
        already_said: str = "",
        on_draft: Callable[[str], None] | None = None,
        deadline: float | None = None,
    ) -> Answer: ...


class QuestionAnsweringChain:
    """The steps of the chain, as plain methods; `runnable()` wires them into LCEL."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, answerer: Answerer) -> None:
        self.settings = settings
        self.retriever = retriever
        self.answerer = answerer

    def prepare(self, inputs: dict[str, Any]) -> dict[str, Any]:
        question, warnings = clean_question(inputs.get("question"), self.settings.max_question_chars)
        history = [(str(role), str(text)) for role, text in inputs.get("chat_history") or []]
        lang = detect_language(question)
        # One deadline for the whole question, so a slow LLM still leaves time to quote instead.
        deadline = time.monotonic() + self.settings.llm_timeout
        query = self.answerer.rewrite(question, history, standalone_query(question, history), deadline)
        languages = self.retriever.lexical_index().languages
        facts = analyse_question(query, lang, languages)
        return {
            "question": question,
            "query": query,
            "lang": lang,
            "facts": facts,
            "already_said": " ".join(text for role, text in history if role == "assistant"),
            "filters": dict(inputs.get("filters") or {}),
            "k": int(inputs.get("k") or self.settings.k),
            "warnings": warnings,
            "deadline": deadline,
            "languages": languages,
        }

    def retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
        filters = state["filters"]
        # A person's statements are spread over the articles: look wider, quote only theirs.
        k = 2 * state["k"] if state["facts"].speaker else state["k"]
        queries = self.answerer.search_queries(state["query"], state["lang"], state["languages"], state["deadline"])
        best: dict[str, tuple[Document, float]] = {}
        # A translated query is searched too; each chunk keeps its best fused score.
        for query in queries:
            found = self.retriever.search(
                query,
                k=k,
                sources=filters.get("sources"),
                date_from=filters.get("date_from"),
                date_to=filters.get("date_to"),
                query_lang=state["lang"] if query == state["query"] else None,
            )
            for doc, score in found:
                chunk_id = str(doc.metadata.get("chunk_id"))
                if chunk_id not in best or score > best[chunk_id][1]:
                    best[chunk_id] = (doc, score)
        ranked = sorted(best.values(), key=lambda pair: -pair[1])[:k]
        return {**state, "passages": [doc for doc, _ in ranked]}

    def respond(self, state: dict[str, Any], config: RunnableConfig | None = None) -> Answer:
        def on_draft(text: str) -> None:
            dispatch_custom_event(DRAFT_EVENT, {"text": text}, config=config)

        # Loading the embedding model on a cold first question must not eat the LLM's time.
        deadline = max(state["deadline"], time.monotonic() + self.settings.llm_timeout / 2)
        answer = self.answerer.answer(
            state["facts"], state["passages"], state["already_said"], on_draft if config else None, deadline
        )
        return Answer(answer.text, answer.citations, answer.abstained, answer.mode, tuple(state["warnings"]) + answer.warnings)

    def stream_answer(self, states: Iterator[dict[str, Any]], config: RunnableConfig) -> Iterator[AddableDict]:
        for state in states:
            yield from _pieces(self.respond(state, config))

    async def astream_answer(
        self, states: AsyncIterator[dict[str, Any]], config: RunnableConfig
    ) -> AsyncIterator[AddableDict]:
        async for state in states:
            answer = await asyncio.to_thread(self.respond, state, config)
            for piece in _pieces(answer):
                yield piece

    def runnable(self) -> Runnable:
        return (
            RunnableLambda(self.prepare, name="prepare")
            | RunnableLambda(self.retrieve, name="retrieve")
            | RunnableGenerator(self.stream_answer, self.astream_answer, name="respond")
        )


def _pieces(answer: Answer) -> Iterator[AddableDict]:
    """Citations first, then the answer a quote at a time, so a reader sees it arrive."""
    data = answer.as_dict()
    text = data.pop("answer")
    yield AddableDict(data)
    for piece in re.split(r"(?<=\] )", text):
        yield AddableDict(answer=piece)


def build_chain(settings: Settings | None = None) -> Runnable:
    """The one chain: `.invoke`, `.stream`, `.batch` and their async forms all work."""
    settings = settings or Settings()
    retriever = build_retriever(settings)
    answerer: Answerer = ExtractiveAnswerer(retriever.store.embeddings)
    if settings.llm != "extractive":
        answerer = LLMAnswerer(chat_backend(settings), answerer, settings.llm_timeout)
    return QuestionAnsweringChain(settings, retriever, answerer).runnable()
