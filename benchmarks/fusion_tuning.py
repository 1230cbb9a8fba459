"""How the fusion weights were chosen: recall@5 on SQuAD-it, per half of its articles, for a grid.

    python benchmarks/fusion_tuning.py --store DIR   # the configured model (RAG_EMBEDDING_MODEL)

Ingests the SQuAD-it dev paragraphs into DIR (or reuses them), gathers every question's candidate
chunks and normalised signals once (`HybridRetriever.signals`), then fuses them in numpy with
each grid point. Articles are split into halves by alternating index (A, B), as in the first
round of docs/retrieval.md: a weight is only worth adopting if it holds on both halves.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

import rag
from rag.evaluation import index_squad, read_dataset
from rag.retrieval import CANDIDATES, FusionWeights, HybridRetriever, Signals, fuse

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def gathered(retriever: HybridRetriever, questions: list[tuple[str, str, str]]) -> list[tuple[Signals, str]]:
    vectors = retriever.store.embeddings.encode([q for _, q, _ in questions], query=True)
    out = []
    for (_, question, gold), vector in zip(questions, vectors, strict=True):
        found = retriever.signals(question, CANDIDATES, query_vector=vector)
        if found is not None:
            out.append((found, gold))
    return out


def recall_at_5(rows: list[tuple[Signals, str]], weights: dict[str, float]) -> float:
    chosen = FusionWeights(**weights)
    hits = 0
    for found, gold in rows:
        fused = fuse(found, chosen, chosen)
        ranked: list[str] = []
        for i in np.argsort(-fused):
            source = found.metadatas[i]["source"]
            if source not in ranked:
                ranked.append(source)
            if len(ranked) == 5:
                break
        hits += gold in ranked
    return hits / max(len(rows), 1)


def grid(dense_steps: list[float]) -> list[dict[str, float]]:
    """Dense weight in steps; the rest split between words, grams, names and bigrams in steps of 0.05."""
    points = []
    for dense in dense_steps:
        rest = round(1.0 - dense, 2)
        steps = round(rest * 20)  # of 0.05
        for words, grams, names, bigrams in itertools.product(range(steps + 1), repeat=4):
            if words + grams + names + bigrams == steps and names <= 2 and bigrams <= 3:
                points.append(
                    {
                        "dense": dense,
                        "words": words / 20,
                        "grams": grams / 20,
                        "names": names / 20,
                        "bigrams": bigrams / 20,
                    }
                )
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="persist folder for the SQuAD-it paragraphs")
    parser.add_argument("--dense", default="0.3,0.4,0.5,0.6,0.7,0.8,0.9", help="dense weights to try")
    args = parser.parse_args()
    settings = rag.Settings(persist_dir=args.store, progress=False)
    dense_steps = [float(v) for v in args.dense.split(",")]
    for name, same_language in (("squad_it_dev.json.gz", True), ("squad_it_en_questions_dev.json.gz", False)):
        indexed = index_squad(read_dataset(EVAL / name), settings)
        retriever = HybridRetriever(store=indexed.store)
        rows = gathered(retriever, indexed.questions)
        halves = {
            "A": [r for r in rows if int(r[1].split("/")[1]) % 2 == 0],
            "B": [r for r in rows if int(r[1].split("/")[1]) % 2 == 1],
        }
        current = retriever.weights()[0 if same_language else 1]
        current_weights = {k: float(v) for k, v in vars(current).items()}
        results = []
        for weights in [current_weights, *grid(dense_steps)]:
            results.append(
                {
                    "weights": weights,
                    "all": round(recall_at_5(rows, weights), 4),
                    **{half: round(recall_at_5(subset, weights), 4) for half, subset in halves.items()},
                }
            )
        print(json.dumps({"model": settings.embedding_model, "file": name, "current": results[0]}), flush=True)
        best_a = max(results[1:], key=lambda r: r["A"])
        best_b = max(results[1:], key=lambda r: r["B"])
        print(json.dumps({"best_on_A": best_a, "best_on_B": best_b}), flush=True)
        for dense in dense_steps:
            top = max((r for r in results[1:] if r["weights"]["dense"] == dense), key=lambda r: min(r["A"], r["B"]))
            print(json.dumps({"dense": dense, "best_worst_half": top}), flush=True)


if __name__ == "__main__":
    main()
