"""Peak memory of building the BM25 index alone over N synthetic chunks (the scale run's texts).

    python benchmarks/bm25_build_memory.py [--chunks 100000]

Run it at two commits to compare builds; the full benchmark measures the whole building process.
"""

from __future__ import annotations

import argparse
import time

from run import peak_rss_mb, synthetic_chunks

from rag.lexical import LexicalIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    size = parser.parse_args().chunks
    ids, texts, metadatas = synthetic_chunks(size)
    before = peak_rss_mb()
    started = time.perf_counter()
    LexicalIndex.build(ids, texts, metadatas)
    print(
        f"{size} chunks: BM25 build {time.perf_counter() - started:.1f} s, "
        f"peak RSS {before} MB before the build, {peak_rss_mb()} MB after"
    )


if __name__ == "__main__":
    main()
