"""The embedding models side by side in one run: `python benchmarks/models.py` (part of `make bench`).

For multilingual-e5-small (the default) and MiniLM on ONNX, each with a fresh store:
SQuAD-it recall@5 (Italian and English questions), the news and seed QA pass rates, ingestion
of the 120 news articles against the raw encode of the same chunk texts by the same engine,
retrieve and full extractive answer p50/p95 on the SQuAD-it index, and the cold start of
`rag ask`. Writes the "models" entry of docs/benchmarks.json and re-renders docs/benchmarks.md.

    python benchmarks/models.py [--workdir /tmp/rag-bench-models]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from run import DOCS, EVAL, REPO, USHAKOV, ms, percentile  # this folder's other script

from rag.embeddings import TextEmbeddings

NEWS = REPO.parent / "shared" / "news" / "it"
QUESTIONS = 100
COLD_RUNS = 3
INGEST_ROUNDS = 3


class EncodeClock:
    """Adds up the seconds `embeddings` spends encoding inside each `with` block (one round each)."""

    def __init__(self, embeddings: TextEmbeddings) -> None:
        self.embeddings = embeddings
        self.rounds: list[float] = []

    def __enter__(self) -> None:
        encode = type(self.embeddings)._encode
        self.rounds.append(0.0)

        def timed(texts: list[str], query: bool) -> np.ndarray:
            started = time.perf_counter()
            try:
                return encode(self.embeddings, texts, query)
            finally:
                self.rounds[-1] += time.perf_counter() - started

        self.embeddings._encode = timed  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        del self.embeddings._encode
        # The ingest must have embedded through this very object (`shared_embeddings`).
        assert self.rounds[-1] > 0, "the ingest encoded nothing through the timed embeddings"


def timings(values: list[float]) -> dict[str, float]:
    return {"p50_ms": ms(statistics.median(values)), "p95_ms": ms(percentile(values, 95))}


def measure(model: str, workdir: Path) -> dict[str, Any]:
    import rag
    from rag.evaluation import SQUAD_COLLECTION_PREFIX, evaluate_file, evaluate_seed, index_squad, read_dataset
    from rag.retrieval import HybridRetriever
    from rag.store import open_store

    base = rag.Settings(embedding_model=model, progress=False)
    out: dict[str, Any] = {}

    print(f"{model}: news ingestion against the raw encode, {INGEST_ROUNDS} rounds …", flush=True)
    open_store(base.model_copy(update={"persist_dir": workdir / "warm"})).embeddings.encode(["warm up"])
    ingests: list[float] = []
    raws: list[float] = []
    inside = EncodeClock(open_store(base).embeddings)
    # Alternated, each ingest into a fresh store (a folder of its own: Chroma keeps a handle on a
    # deleted one): this machine's speed drifts between minutes (MiniLM's raw encode of the news
    # chunks took 11.6 s and 14.4 s a few minutes apart on 2026-11-26), so one pair measures the drift.
    for round_ in range(INGEST_ROUNDS):
        news = base.model_copy(update={"persist_dir": workdir / f"news-{round_}"})
        started = time.perf_counter()
        with inside:
            rag.ingest([NEWS], news)
        ingests.append(time.perf_counter() - started)
        store = open_store(news)
        _, texts, _ = store.all_chunks()
        started = time.perf_counter()
        store.embeddings.encode(texts)
        raws.append(time.perf_counter() - started)
    out["news_ingest"] = {
        "chunks": len(texts),
        "rounds": INGEST_ROUNDS,
        "rag_seconds": round(statistics.median(ingests), 1),
        "raw_encode_seconds": round(statistics.median(raws), 1),
        "ratio": round(statistics.median(i / r for i, r in zip(ingests, raws, strict=True)), 2),
        "rounds_seconds": [[round(i, 1), round(r, 1)] for i, r in zip(ingests, raws, strict=True)],
        # The encoder's own seconds inside each ingest: ingest / that is free of the drift between
        # an ingest and the raw encode minutes later, and the rest is what rag adds around it.
        "encode_inside_seconds": [round(e, 1) for e in inside.rounds],
        "ratio_to_encode_inside": round(
            statistics.median(i / e for i, e in zip(ingests, inside.rounds, strict=True)), 3
        ),
    }

    print(f"{model}: QA pass rates …", flush=True)
    news_qa = evaluate_seed(read_dataset(EVAL / "news_qa_dev.json")["cases"], news)
    out["news_qa"] = news_qa.metrics
    seed = base.model_copy(update={"persist_dir": workdir / "seed"})
    rag.ingest([REPO / "corpus"], seed)
    out["seed_pass_rate"] = evaluate_seed(read_dataset(EVAL / "seed_qa_dev.json")["cases"], seed).metrics["pass_rate"]

    print(f"{model}: SQuAD-it …", flush=True)
    squad = base.model_copy(update={"persist_dir": workdir / "squad"})
    italian = read_dataset(EVAL / "squad_it_dev.json.gz")
    indexed = index_squad(italian, squad)
    out["squad_ingest_seconds"] = round(indexed.seconds, 1)
    out["squad_chunks"] = indexed.report.chunks_added
    for lang, name in (("it", "squad_it_dev.json.gz"), ("en", "squad_it_en_questions_dev.json.gz")):
        metrics = evaluate_file(EVAL / name, squad).metrics
        out[f"squad_{lang}"] = {k: metrics[k] for k in ("recall@1", "recall@5", "mrr@10")}

    print(f"{model}: latency …", flush=True)
    sample = [q for _, q, _ in random.Random(7).sample(indexed.questions, QUESTIONS + 5)]
    retriever = HybridRetriever(store=indexed.store)
    chain = rag.build_chain(squad.model_copy(update={"collection": SQUAD_COLLECTION_PREFIX + "squad_paragraphs"}))
    retrieve: list[float] = []
    answer: list[float] = []
    for i, question in enumerate(sample):
        started = time.perf_counter()
        retriever.search(question + " ?")  # another text than the chain's: no cached query vector
        middle = time.perf_counter()
        chain.invoke({"question": question, "chat_history": []})
        if i >= 5:  # the first few warm the model and indexes
            retrieve.append(middle - started)
            answer.append(time.perf_counter() - middle)
    out["retrieve"] = timings(retrieve)
    out["answer"] = timings(answer)

    print(f"{model}: cold start …", flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_PERSIST_DIR": str(seed.persist_dir), "RAG_EMBEDDING_MODEL": model}
    rag_cli = Path(sys.executable).with_name("rag")
    walls = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        subprocess.run([str(rag_cli), "ask", USHAKOV], env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
    out["cold_start_s"] = round(statistics.median(walls), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rag-bench-models"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["RAG_MODEL_CACHE_DIR"] = str(args.workdir / "models")
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)

    from rag.config import BUNDLED_E5, BUNDLED_MODEL

    models = {name: measure(name, args.workdir / name.split(":")[1]) for name in (BUNDLED_E5, BUNDLED_MODEL)}
    results = json.loads((DOCS / "benchmarks.json").read_text(encoding="utf-8"))
    results["models"] = {"command": "python benchmarks/models.py", "date": time.strftime("%Y-%m-%d"), **models}
    (DOCS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--report-only"], check=True)
    print(json.dumps(results["models"], indent=2))


if __name__ == "__main__":
    main()
