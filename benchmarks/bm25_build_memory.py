"""Peak memory of building the BM25 index alone over N synthetic chunks (the scale run's texts).

    python benchmarks/bm25_build_memory.py [--chunks 100000]

Run it at two commits to compare builds; the full benchmark measures the whole building process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from run import EVAL, peak_rss_mb

from rag.evaluation import read_dataset, squad_documents
from rag.retrieval import LexicalIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    size = parser.parse_args().chunks
    rng = np.random.default_rng(size)  # the same texts as `run.py --scale-point`
    paragraphs, _ = squad_documents(read_dataset(EVAL / "squad_it_dev.json.gz"))
    sentences = [s.strip() + "." for p in paragraphs for s in p.text.split(". ") if len(s) > 30]
    texts, metadatas = [], []
    for i in range(size):
        text = " ".join(sentences[j] for j in rng.integers(0, len(sentences), 3))
        start = (i % 8) * 1000
        texts.append(text)
        metadatas.append({"source": f"synthetic/{i // 8}", "lang": "it", "start": start, "end": start + len(text),
                          "para_start": start, "para_end": start + len(text), "kind": "body"})
    before = peak_rss_mb()
    started = time.perf_counter()
    LexicalIndex.build([f"synthetic-{i}" for i in range(size)], texts, metadatas)
    print(f"{size} chunks: BM25 build {time.perf_counter() - started:.1f} s, "
          f"peak RSS {before} MB before the build, {peak_rss_mb()} MB after")


if __name__ == "__main__":
    main()
