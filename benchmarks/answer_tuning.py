"""How the extractive answerer's constants were chosen: pass counts, abstention, ablations, a grid.

    python benchmarks/answer_tuning.py                      # the configured model (RAG_EMBEDDING_MODEL)
    python benchmarks/answer_tuning.py --grid --ablations   # docs/retrieval.md, "Fifth round"

Ingests ../shared/news/it and corpus/ into temporary stores (or reuses `--stores DIR`), then
answers news_qa_dev and seed_qa_dev with the chain's own steps, judged by `rag eval`'s rules.
Abstention is measured on negatives made two ways: the `abstain` cases, and every answerable
news question asked with its gold articles filtered out (as if the store lacked them).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import rag
import rag.evidence
import rag.planning
import rag.retrieval
from rag.answering import ExtractiveAnswerer
from rag.chain import QuestionAnsweringChain, Retrieved
from rag.evaluation import judge_case, read_dataset
from rag.evidence import EvidenceScorer
from rag.planning import HeuristicPlanner
from rag.retrieval import build_retriever

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"


def chain_for(settings: rag.Settings) -> QuestionAnsweringChain:
    retriever = build_retriever(settings)
    return QuestionAnsweringChain(
        settings,
        retriever,
        HeuristicPlanner(),
        ExtractiveAnswerer(EvidenceScorer(retriever.store.embeddings, retriever.store.vectors)),
    )


def retrieve(chain: QuestionAnsweringChain, case: dict[str, Any], sources: list[str] | None = None) -> Retrieved:
    inputs: dict[str, Any] = {"question": case["question"], "chat_history": case.get("history", [])}
    if sources is not None:
        inputs["filters"] = {"sources": sources}
    return chain.retrieve(chain.plan(chain.prepare(inputs)))


def answer(chain: QuestionAnsweringChain, retrieved: Retrieved) -> dict[str, Any]:
    return chain.answer(retrieved).as_dict()


def hidden_variants(
    chain: QuestionAnsweringChain, cases: list[dict[str, Any]], corpus: Path
) -> list[tuple[dict[str, Any], list[str]]]:
    """Each answerable case with the sources that hold any of its gold passages filtered out."""
    texts = {str(p.resolve()): p.read_text(encoding="utf-8").casefold() for p in corpus.glob("*.txt")}
    every = sorted({str(m["source"]) for m in chain.retriever.store.lexical_index().metadatas})
    variants = []
    for case in cases:
        gold = [g.casefold() for g in case.get("gold", [])]
        holding = {source for source, text in texts.items() if any(g in text for g in gold)}
        if case.get("expect") != "abstain" and holding:
            variants.append((case, [s for s in every if s not in holding]))
    return variants


def measure(news: QuestionAnsweringChain, seed: QuestionAnsweringChain, data: dict[str, Any]) -> dict[str, Any]:
    """Pass counts on both dev sets and abstention precision/recall; retrieval is redone (it may be ablated)."""
    news_results = [(c, answer(news, retrieve(news, c))) for c in data["news"]]
    passed_seed = sum(judge_case(c, answer(seed, retrieve(seed, c))) is None for c in data["seed"])
    answerable = [r for c, r in news_results if c.get("expect") != "abstain"]
    unanswerable = [r for c, r in news_results if c.get("expect") == "abstain"]
    unanswerable += [answer(news, retrieve(news, c, sources)) for c, sources in data["hidden"]]
    right = sum(r["abstained"] for r in unanswerable)
    wrongly = sum(r["abstained"] for r in answerable)
    return {
        "news": f"{sum(judge_case(c, r) is None for c, r in news_results)}/{len(news_results)}",
        "seed": f"{passed_seed}/{len(data['seed'])}",
        "abstained_unanswerable": f"{right}/{len(unanswerable)}",
        "abstained_answerable": f"{wrongly}/{len(answerable)}",
        "abstention_precision": round(right / max(right + wrongly, 1), 2),
        "abstention_recall": round(right / max(len(unanswerable), 1), 2),
    }


def _sentence_similarities(self: EvidenceScorer, question: str, candidates: list[Any]) -> Any:
    """Each sentence embedded on its own, as before the sixth round."""
    question_vector = self.embeddings.encode_cached([question], query=True)[0]
    sentences = [c.text for c in candidates]
    return self.embeddings.encode_cached(sentences) @ question_vector - self.embeddings.similarity_offset


@contextmanager
def patched(target: Any, name: str, value: Any) -> Iterator[None]:
    before = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=Path, help="keep the ingested stores here (reused when present)")
    parser.add_argument(
        "--grid", action="store_true", help="FIT_WEIGHT x CLOSENESS_WEIGHT x quote margin x PERIOD_WEIGHT"
    )
    parser.add_argument("--ablations", action="store_true", help="each new signal switched off in turn")
    args = parser.parse_args()

    base = rag.Settings(progress=False)
    root = args.stores or Path(tempfile.mkdtemp(prefix="rag-tuning-"))
    news_settings = base.model_copy(update={"persist_dir": root / "news"})
    seed_settings = base.model_copy(update={"persist_dir": root / "seed"})
    corpus = EVAL.parent / "news" / "it"
    rag.ingest([corpus], news_settings)
    rag.ingest([REPO / "corpus"], seed_settings)
    news, seed = chain_for(news_settings), chain_for(seed_settings)
    news_cases = read_dataset(EVAL / "news_qa_dev.json")["cases"]
    data = {"news": news_cases, "seed": read_dataset(EVAL / "seed_qa_dev.json")["cases"]}
    data["hidden"] = hidden_variants(news, news_cases, corpus)
    print(json.dumps({"model": base.embedding_model, "as_committed": measure(news, seed, data)}), flush=True)

    if args.ablations:
        ablations: dict[str, list[tuple[Any, str, Any]]] = {
            "no date boost": [(rag.retrieval, "DATE_BOOST", 0.0)],
            "no answer-kind fit": [(rag.evidence, "FIT_WEIGHT", 0.0)],
            "no closeness": [(rag.evidence, "CLOSENESS_WEIGHT", 0.0)],
            "no measured-kind gate": [(rag.evidence, "MEASURED_KINDS", ())],
            "no two-part questions": [(rag.planning, "question_parts", lambda asked, lang: ())],
            "coverage floor 0.5": [(chain.answerer.evidence, "min_coverage", 0.5) for chain in (news, seed)],
            "no joint coverage floor": [(rag.evidence, "MIN_JOINT_COVERAGE", 0.0)],
            "each sentence embedded": [(EvidenceScorer, "_similarities", _sentence_similarities)],
            "no sentence period preference": [(rag.evidence, "PERIOD_WEIGHT", 0.0)],
            "evidence gate on the first sentence only": [(rag.evidence, "GATE_SENTENCES", 1)],
            "quote floor equal to the gate's": [(rag.evidence, "QUOTE_FLOOR", 1.0)],
            "no counted-noun check": [(EvidenceScorer, "_counts", lambda self, counted, cand, lang: True)],
        }
        embeddings = news.answerer.evidence.embeddings
        if embeddings.similarity_offset:  # the model's own offset (e5's), tried either side
            for offset in (embeddings.similarity_offset - 0.05, embeddings.similarity_offset + 0.05):
                ablations[f"similarity offset {offset:.2f}"] = [(embeddings, "similarity_offset", offset)]
        for label, patches in ablations.items():
            with ExitStack() as stack:
                for target, name, value in patches:
                    stack.enter_context(patched(target, name, value))
                print(json.dumps({"ablation": label, **measure(news, seed, data)}), flush=True)

    if args.grid:
        grid = itertools.product((0.2, 0.35, 0.5), (0.3, 0.6), (0.25, 0.4), (0.15, 0.3, 0.5))
        for fit, closeness, margin, period in grid:
            with (
                patched(rag.evidence, "FIT_WEIGHT", fit),
                patched(rag.evidence, "PERIOD_WEIGHT", period),
                patched(rag.evidence, "CLOSENESS_WEIGHT", closeness),
                patched(news.answerer, "relative_margin", margin),
                patched(seed.answerer, "relative_margin", margin),
            ):
                row = {"fit": fit, "closeness": closeness, "margin": margin, "period": period}
                row.update(measure(news, seed, data))
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
