"""The question-answering chain, built here and only here; the CLI and the UI call it.

    prepare   validate the question, read the history and filters    -> Prepared
    plan      language, follow-ups, question facts, search queries    -> Planned   (rag.planning)
    retrieve  hybrid retrieval of each search query and question part -> Retrieved (rag.retrieval)
              (filters hard; dates the question names, a soft preference)
    answer    quote (rag.answering), or write with an LLM and verify  -> Answer    (rag.generation)
              every citation in code; streamed after the citations

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
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda
from langchain_core.runnables.utils import AddableDict

from rag.answering import ExtractiveAnswerer
from rag.answers import Answer, Carrier
from rag.config import Settings
from rag.dates import Period
from rag.errors import QuestionError
from rag.evidence import EvidenceScorer
from rag.generation import DRAFT_EVENT, LLMAnswerer
from rag.llm import chat_backend
from rag.planning import HeuristicPlanner, LLMPlanner, Planner, QueryPlan, QuestionFacts
from rag.retrieval import HybridRetriever, build_retriever

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] | None = None
    date_from: str | None = None
    date_to: str | None = None

    @classmethod
    def from_input(cls, raw: Mapping[str, Any] | None) -> Filters:
        raw = raw or {}
        sources = raw.get("sources")
        return cls(tuple(str(s) for s in sources) if sources else None, raw.get("date_from"), raw.get("date_to"))


@dataclass(frozen=True)
class Prepared:
    """The question as the chain reads it, before planning."""

    question: str
    history: tuple[tuple[str, str], ...]
    filters: Filters
    k: int
    warnings: tuple[str, ...]
    deadline: float  # time.monotonic() by which an LLM must have answered

    @property
    def already_said(self) -> str:
        return " ".join(text for role, text in self.history if role == "assistant")


@dataclass(frozen=True)
class Planned:
    prepared: Prepared
    plan: QueryPlan


@dataclass(frozen=True)
class Retrieved:
    prepared: Prepared
    plan: QueryPlan
    passages: tuple[Document, ...]


class Answerer(Protocol):
    """What the chain needs of an answerer (`ExtractiveAnswerer`, `generation.LLMAnswerer`)."""

    def answer(
        self,
        facts: QuestionFacts,
        passages: list[Document],
        already_said: str = "",
        on_draft: Callable[[str], None] | None = None,
        deadline: float | None = None,
    ) -> Answer: ...


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


class QuestionAnsweringChain:
    """The steps of the chain, as plain methods; `runnable()` wires them into LCEL."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, planner: Planner, answerer: Answerer) -> None:
        self.settings = settings
        self.retriever = retriever
        self.planner = planner
        self.answerer = answerer

    def prepare(self, inputs: Mapping[str, Any]) -> Prepared:
        question, warnings = clean_question(inputs.get("question"), self.settings.max_question_chars)
        return Prepared(
            question=question,
            history=tuple((str(role), str(text)) for role, text in inputs.get("chat_history") or []),
            filters=Filters.from_input(inputs.get("filters")),
            k=int(inputs.get("k") or self.settings.k),
            warnings=tuple(warnings),
            # One deadline for the whole question, so a slow LLM still leaves time to quote instead.
            deadline=time.monotonic() + self.settings.llm_timeout,
        )

    def plan(self, prepared: Prepared) -> Planned:
        index = self.retriever.store.lexical_index()
        plan = self.planner.plan(
            prepared.question, prepared.history, index.languages, prepared.deadline, index.newest_date
        )
        return Planned(prepared, plan)

    def retrieve(self, planned: Planned) -> Retrieved:
        prepared, plan = planned.prepared, planned.plan
        facts = plan.facts
        # A person's statements are spread over the articles: look wider, quote only theirs.
        k = 2 * prepared.k if facts.speaker else prepared.k
        # A translated query is searched too, and each part of a two-part question on its own
        # (its answer may be in another article; a part that names nothing borrows the names).
        found = [self._search(prepared.filters, [(s.text, s.lang) for s in plan.searches], k, facts.periods)]
        for part in facts.parts:
            named = any(re.search(rf"\b{re.escape(name)}\b", part.text) for name in facts.names)
            query = part.text if named else " ".join([part.text, *facts.names])
            found.append(self._search(prepared.filters, [(query, facts.lang)], max(2, k // 2), part.periods))
        return Retrieved(
            prepared, plan, tuple(doc for doc, _ in _best_by_id(pair for pairs in found for pair in pairs))
        )

    def _search(
        self, filters: Filters, queries: list[tuple[str, str]], k: int, periods: tuple[Period, ...]
    ) -> list[tuple[Document, float]]:
        """The `k` best chunks over `queries`, each with its best fused score."""
        found = []
        for text, lang in queries:
            found += self.retriever.search(
                text,
                k=k,
                sources=list(filters.sources) if filters.sources else None,
                date_from=filters.date_from,
                date_to=filters.date_to,
                query_lang=lang,
                periods=periods,
            )
        return _best_by_id(found)[:k]

    def answer(self, retrieved: Retrieved, config: RunnableConfig | None = None) -> Answer:
        def on_draft(text: str) -> None:
            dispatch_custom_event(DRAFT_EVENT, {"text": text}, config=config)

        # Loading the embedding model on a cold first question must not eat the LLM's time.
        deadline = max(retrieved.prepared.deadline, time.monotonic() + self.settings.llm_timeout / 2)
        answer = self.answerer.answer(
            retrieved.plan.facts,
            list(retrieved.passages),
            retrieved.prepared.already_said,
            on_draft if config else None,
            deadline,
        )
        # The other outlets that carried each cited story (its copies, not indexed again).
        copies = self.retriever.store.duplicates.copies_of(c.source for c in answer.citations)
        citations = tuple(
            replace(c, also_in=tuple(Carrier(copy.outlet, copy.url, copy.title) for copy in copies.get(c.source, [])))
            for c in answer.citations
        )
        return replace(answer, citations=citations, warnings=retrieved.prepared.warnings + answer.warnings)

    def stream_answer(self, states: Iterator[Retrieved], config: RunnableConfig) -> Iterator[AddableDict]:
        for state in states:
            yield from _pieces(self.answer(state, config))

    async def astream_answer(
        self, states: AsyncIterator[Retrieved], config: RunnableConfig
    ) -> AsyncIterator[AddableDict]:
        async for state in states:
            answer = await asyncio.to_thread(self.answer, state, config)
            for piece in _pieces(answer):
                yield piece

    def runnable(self) -> Runnable:
        return (
            RunnableLambda(self.prepare, name="prepare")
            | RunnableLambda(self.plan, name="plan")
            | RunnableLambda(self.retrieve, name="retrieve")
            # LangChain passes the config to a generator that takes one; its stubs do not say so.
            | RunnableGenerator(self.stream_answer, self.astream_answer, name="answer")  # type: ignore[arg-type]
        )


def _best_by_id(pairs: Iterable[tuple[Document, float]]) -> list[tuple[Document, float]]:
    """Each store chunk once, with its best score, best first."""
    best: dict[str, tuple[Document, float]] = {}
    for doc, score in pairs:
        if str(doc.id) not in best or score > best[str(doc.id)][1]:
            best[str(doc.id)] = (doc, score)
    return sorted(best.values(), key=lambda pair: -pair[1])


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
    evidence = EvidenceScorer(retriever.store.embeddings, retriever.store.vectors)
    extractive = ExtractiveAnswerer(evidence)
    if settings.llm == "extractive":
        return QuestionAnsweringChain(settings, retriever, HeuristicPlanner(), extractive).runnable()
    backend = chat_backend(settings)
    planner = LLMPlanner(backend, settings.llm_timeout)
    answerer = LLMAnswerer(backend, evidence, extractive, settings.llm_timeout)
    return QuestionAnsweringChain(settings, retriever, planner, answerer).runnable()
