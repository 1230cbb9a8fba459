"""Evaluation: retrieval metrics on SQuAD-format files and pass rates on seed-QA cases.

SQuAD files are used as open retrieval: every paragraph is a document, each question looks for
its own paragraph among the first distinct sources retrieved (recall@1/5/10, MRR@10).
Seed-QA cases (see ../shared/eval/README.md) run through the full chain and are judged on gold
passages cited, answer text and abstention.

Usage:
    >>> result = evaluate_file(Path("../shared/eval/seed_qa_dev.json"), Settings())  # doctest: +SKIP
    >>> result.metrics["pass_rate"]  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import RagError
from rag.indexing import ingest
from rag.loading import LoadedDocument, build_document

if TYPE_CHECKING:
    from rag.indexing import IngestReport
    from rag.retrieval import HybridRetriever
    from rag.store import ArticleStore

logger = logging.getLogger(__name__)

RECALL_AT = (1, 5, 10)
CASE_KINDS = ("plain", "date", "speaker", "span", "followup", "abstain")
SQUAD_COLLECTION_PREFIX = "eval_"


@dataclass(frozen=True)
class EvalResult:
    kind: str  # "squad" | "seed"
    metrics: dict[str, float]
    failures: list[dict[str, Any]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> str:
        width = max(len(k) for k in self.metrics)
        lines = [f"{'metric'.ljust(width)}  value", f"{'-' * width}  -----"]
        for key, value in self.metrics.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            lines.append(f"{key.ljust(width)}  {shown}")
        for failure in self.failures:
            lines.append(f"FAIL {failure['id']}: {failure['why']}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "metrics": self.metrics, "failures": self.failures}


def read_dataset(path: Path) -> dict[str, Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def evaluate_file(path: Path, settings: Settings, limit: int | None = None, corpus: Path | None = None) -> EvalResult:
    """Evaluate a SQuAD-format or QA-format file.

    :param corpus: articles to answer a QA file from; default: the file's own `"corpus"` (relative
        to the file), else the configured store. A corpus is ingested into a temporary store,
        never the user's index.
    """
    data = read_dataset(path)
    if "cases" in data:
        cases = data["cases"][:limit] if limit else data["cases"]
        corpus = corpus or (path.parent / data["corpus"] if data.get("corpus") else None)
        if corpus is None:
            return evaluate_seed(cases, settings)
        if not corpus.is_dir():
            raise RagError(f"The corpus {corpus} named for {path.name} is not a folder; pass --corpus DIR.")
        with tempfile.TemporaryDirectory(prefix="rag-eval-") as folder:
            scratch = settings.model_copy(
                update={"persist_dir": Path(folder), "chroma_url": None, "chroma_token": None, "progress": False}
            )
            ingest([corpus], scratch)
            return evaluate_seed(cases, scratch)
    if "data" in data:
        return evaluate_squad(data, settings, limit=limit)
    raise ValueError(f"{path} is neither SQuAD format (data[].paragraphs) nor seed-QA format (cases[])")


def squad_documents(data: dict[str, Any]) -> tuple[list[LoadedDocument], list[tuple[str, str, str]]]:
    """One document per paragraph, and (question id, question, paragraph source) per question."""
    documents = []
    questions: list[tuple[str, str, str]] = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            source = f"squad/{a:03d}/{p:03d}"
            documents.append(build_document(source, paragraph["context"], {"title": article.get("title", "")}))
            questions.extend((qa["id"], qa["question"], source) for qa in paragraph["qas"])
    return documents, questions


def evaluate_squad(data: dict[str, Any], settings: Settings, limit: int | None = None) -> EvalResult:
    from rag.retrieval import HybridRetriever

    indexed = index_squad(data, settings)
    questions = indexed.questions[:limit] if limit else indexed.questions
    started = time.perf_counter()
    metrics = ranking_metrics(HybridRetriever(store=indexed.store, k=settings.k), questions)
    query_seconds = time.perf_counter() - started
    metrics["questions"] = len(questions)
    metrics["paragraphs"] = indexed.paragraphs
    metrics["chunks_embedded"] = indexed.report.chunks_added
    metrics["ingest_seconds"] = round(indexed.seconds, 1)
    metrics["ms_per_question"] = round(1000 * query_seconds / max(len(questions), 1), 1)
    return EvalResult("squad", metrics)


@dataclass(frozen=True)
class SquadIndex:
    store: ArticleStore
    questions: list[tuple[str, str, str]]  # (id, question, source of its paragraph)
    paragraphs: int
    report: IngestReport
    seconds: float


def index_squad(data: dict[str, Any], settings: Settings) -> SquadIndex:
    """Ingest every paragraph as a document into a collection of its own."""
    from rag.indexing import Ingestor
    from rag.store import open_store

    documents, questions = squad_documents(data)
    # Paragraph titles are dataset labels, not article text: keep them out of retrieval.
    documents = [build_document(d.source, d.text, {"lang": d.lang}) for d in documents]
    eval_settings = settings.model_copy(update={"collection": SQUAD_COLLECTION_PREFIX + "squad_paragraphs"})
    store = open_store(eval_settings)
    started = time.perf_counter()
    report = Ingestor(store).run(documents, fold_duplicates=False)
    return SquadIndex(store, questions, len(documents), report, time.perf_counter() - started)


def ranking_metrics(retriever: HybridRetriever, questions: list[tuple[str, str, str]]) -> dict[str, float]:
    """Recall@1/5/10 and MRR@10 of each question's own paragraph among the distinct sources."""
    hits = {n: 0 for n in RECALL_AT}
    reciprocal = 0.0
    # Encoding questions in batches is what a bulk caller would do; it keeps the run short.
    vectors = retriever.store.embeddings.encode([q for _, q, _ in questions], query=True)
    for (_, question, gold), vector in zip(questions, vectors, strict=True):
        ranked: list[str] = []
        for doc, _ in retriever.search(question, k=40, query_vector=vector):
            if doc.metadata["source"] not in ranked:
                ranked.append(doc.metadata["source"])
        rank = ranked.index(gold) + 1 if gold in ranked else None
        for n in RECALL_AT:
            hits[n] += rank is not None and rank <= n
        if rank is not None and rank <= 10:
            reciprocal += 1.0 / rank
    total = max(len(questions), 1)
    metrics: dict[str, float] = {f"recall@{n}": hits[n] / total for n in RECALL_AT}
    metrics["mrr@10"] = reciprocal / total
    return metrics


def evaluate_seed(cases: list[dict[str, Any]], settings: Settings) -> EvalResult:
    from rag.chain import build_chain

    chain = build_chain(settings)
    failures = []
    details = []
    for case in cases:
        history = [tuple(turn) for turn in case.get("history", [])]
        result = chain.invoke({"question": case["question"], "chat_history": history})
        why = judge_case(case, result)
        details.append({"id": case["id"], "answer": result["answer"], "passed": why is None})
        if why:
            failures.append({"id": case["id"], "why": why, "answer": result["answer"]})
    total = max(len(cases), 1)
    metrics: dict[str, float] = {"pass_rate": (len(cases) - len(failures)) / total, "cases": len(cases)}
    by_kind: dict[str, list[bool]] = {}
    for detail in details:
        kind = case_kind(str(detail["id"]))
        if kind:
            by_kind.setdefault(kind, []).append(bool(detail["passed"]))
    for kind in CASE_KINDS:
        if kind in by_kind:
            metrics[f"pass_rate[{kind}]"] = sum(by_kind[kind]) / len(by_kind[kind])
            metrics[f"cases[{kind}]"] = len(by_kind[kind])
    return EvalResult("seed", metrics, failures, details)


def case_kind(case_id: str) -> str | None:
    """The kind a QA case id names in its second dash-separated field ("en-date-airbus-…" -> "date")."""
    fields = case_id.split("-")
    return fields[1] if len(fields) > 1 and fields[1] in CASE_KINDS else None


def judge_case(case: dict[str, Any], result: dict[str, Any]) -> str | None:
    """None when the answer passes the case, else why it fails."""
    citations = result["citations"]
    if case.get("expect") == "abstain":
        if not result["abstained"]:
            return f"expected an abstention, got an answer citing {len(citations)} passage(s)"
        if citations:
            return "abstained but still cited passages"
        return None
    if result["abstained"]:
        return "abstained on an answerable question"
    cited = " ".join(f"{c['text']} {c['quote']}" for c in citations).casefold()
    covered = [g for g in case.get("gold", []) if g.casefold() in cited]
    if len(covered) < case.get("min_gold", 1):
        missing = [g for g in case.get("gold", []) if g not in covered]
        return (
            f"citations cover {len(covered)} of the {case.get('min_gold', 1)} gold passages needed; missing {missing}"
        )
    answer = result["answer"].casefold()
    wanted = case.get("answer_any", [])
    if wanted and not any(w.casefold() in answer for w in wanted):
        return f"answer mentions none of {wanted}"
    return None
