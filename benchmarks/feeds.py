"""Fetch timings of a 50-entry feed: `python benchmarks/feeds.py` (part of `make bench`).

A local news site (tests/news_site.py, 127.0.0.1) serves 50 of the news articles as pages and
an RSS feed of them. Timed, with fresh stores each round (median of `ROUNDS`):
following the feed (fetching, extracting and indexing the 50 pages), an update of the unchanged
feed (one conditional request), and an update after the feed changed but no page did (the feed
plus 50 conditional page requests, nothing re-embedded). Fetching and extracting alone are timed
apart from indexing. Requests to one host are not spaced here (`RAG_FETCH_HOST_INTERVAL=0`); with
the default 1 s, a 50-page feed from one site takes 50 s more. Writes the "feeds" entry of
docs/benchmarks.json and re-renders docs/benchmarks.md.

    python benchmarks/feeds.py [--workdir /tmp/rag-bench-feeds]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from run import DOCS, REPO

sys.path.insert(0, str(REPO))
from tests.news_site import Article, NewsSite, Route, page_with_metadata, rss

ENTRIES = 50
ROUNDS = 3


def serve_feed(site: NewsSite) -> str:
    names = sorted(p.name for p in (REPO.parent / "shared" / "news" / "it").glob("*.txt"))[:ENTRIES]
    items = []
    for number, name in enumerate(names):
        path = f"/news/{number}.html"
        article = Article.read(name)
        site.routes[path] = Route(
            page_with_metadata(article, iso_date="2009-01-01", outlet="Bench", canonical=site.url + path)
        )
        items.append((article.title, site.url + path, "Thu, 01 Jan 2009 08:00:00 GMT"))
    site.routes["/feed.xml"] = Route(rss("Bench", items), "application/rss+xml")
    return f"{site.url}/feed.xml"


def one_round(site: NewsSite, feed_url: str, workdir: Path) -> dict[str, float]:
    import rag
    from rag.fetching import Fetcher
    from rag.web import WebReader

    if workdir.exists():
        shutil.rmtree(workdir)
    settings = rag.Settings(persist_dir=workdir, progress=False, fetch_allow_private=True, fetch_host_interval=0)
    started = time.perf_counter()
    WebReader(Fetcher(settings)).read(feed_url)
    fetch_extract = time.perf_counter() - started

    started = time.perf_counter()
    added = rag.add_feed(feed_url, settings).report.added
    follow = time.perf_counter() - started
    assert len(added) == ENTRIES, added

    requests = sum(site.requests.values())
    started = time.perf_counter()
    [unchanged] = rag.update_feeds(settings)
    not_modified = time.perf_counter() - started
    assert unchanged.not_modified and sum(site.requests.values()) == requests + 1

    feed = site.routes["/feed.xml"]
    site.routes["/feed.xml"] = Route(feed.body + b"\n", feed.content_type)
    started = time.perf_counter()
    [changed] = rag.update_feeds(settings)
    pages_checked = time.perf_counter() - started
    assert changed.report.chunks_added == 0, changed.report
    site.routes["/feed.xml"] = feed
    return {
        "fetch_extract_s": fetch_extract,
        "follow_s": follow,
        "update_unchanged_s": not_modified,
        "update_pages_unchanged_s": pages_checked,
    }


def feeds_section_data(workdir: Path) -> dict[str, Any]:
    import rag

    with NewsSite() as site:
        feed_url = serve_feed(site)
        rag.ingest([REPO / "corpus"], rag.Settings(persist_dir=workdir / "warm", progress=False))  # load the model
        rounds = [one_round(site, feed_url, workdir / f"round{n}") for n in range(ROUNDS)]
    medians = {key: round(statistics.median(r[key] for r in rounds), 3) for key in rounds[0]}
    return {
        "entries": ENTRIES,
        "rounds": ROUNDS,
        "model": rag.Settings().embedding_model,
        "date": time.strftime("%Y-%m-%d"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip(),
        "command": "python benchmarks/feeds.py",
        **medians,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rag-bench-feeds"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["RAG_MODEL_CACHE_DIR"] = str(args.workdir / "models")
    results = feeds_section_data(args.workdir)
    print(json.dumps(results, indent=2))
    path = DOCS / "benchmarks.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    stored["feeds"] = results
    path.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, str(Path(__file__).with_name("run.py")), "--report-only"], check=True)


if __name__ == "__main__":
    main()
