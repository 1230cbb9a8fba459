"""The `rag` command: ingest, ask, search, eval, reindex, ui.

Usage errors exit 2; rag's own errors print their message (which says how to fix them) and exit 1.

    rag ingest [PATH|URL...]      # default: corpus/; a URL may be a page or an RSS/Atom feed
    rag feeds add URL [--every 30m] | list | remove URL | update
    rag watch                     # update each feed on its schedule until stopped
    rag ask "What did Ushakov say about territory?" [--json]
    rag search "Ushakov territori" [-k N] [--json]
    rag eval ../shared/eval/seed_qa_dev.json [--json]
    rag ui [--host 127.0.0.1] [--port 8501]   # the chat page
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import MissingExtraError, QuestionError, RagError

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Question answering over news articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="index articles (.txt, .md, .html files, folders, page or feed URLs)")
    # Strings, not Paths: Path("https://a/b") would fold the '//' of a URL.
    ingest.add_argument("paths", nargs="*", default=["corpus"], metavar="PATH_OR_URL")

    feeds = commands.add_parser("feeds", help="follow RSS/Atom feeds: add, list, remove, update")
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True)
    add = feed_commands.add_parser("add", help="follow a feed and fetch it now")
    add.add_argument("url")
    add.add_argument("--every", default="30m", help="how often `rag watch` updates it (30m, 2h, 1d)")
    feed_commands.add_parser("list", help="the followed feeds, their last update and article count")
    remove = feed_commands.add_parser("remove", help="stop following a feed (its articles stay indexed)")
    remove.add_argument("url")
    feed_commands.add_parser("update", help="fetch new and changed entries of every feed now")
    commands.add_parser("watch", help="update each feed on its schedule until stopped (Ctrl-C)")

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the full result as JSON")
    ask.add_argument("--source", action="append", dest="sources", help="only this source (repeatable)")
    ask.add_argument("--date-from", help="only articles dated on or after YYYY-MM-DD")
    ask.add_argument("--date-to", help="only articles dated on or before YYYY-MM-DD")

    search = commands.add_parser("search", help="show the passages retrieved for a query")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=None, help="how many passages")
    search.add_argument("--json", action="store_true")

    evaluate = commands.add_parser("eval", help="measure retrieval (SQuAD format) or answers (seed-QA format)")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--limit", type=int, default=None, help="only the first N questions")
    evaluate.add_argument(
        "--corpus", type=Path, default=None, help="answer from these articles (ingested into a temporary store)"
    )

    commands.add_parser("reindex", help="rebuild the index (e.g. after changing RAG_EMBEDDING_MODEL)")

    ui = commands.add_parser("ui", help="serve the chat page (http://localhost:8501)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ui.add_argument("--port", type=int, default=8501)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # bm25s logs every index build at DEBUG through a handler of its own.
    logging.getLogger("bm25s").setLevel(level)
    try:
        settings = Settings()
        return _COMMANDS[args.command](args, settings)
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.indexing import ingest

    report = ingest(args.paths, settings, _progress(settings))
    for line in report.lines():
        print(line)
    return 0


def _progress(settings: Settings) -> Callable[[int, int], None] | None:
    """A feed's pages counted on the terminal while they are fetched."""
    if not (settings.progress and sys.stderr.isatty()):
        return None

    def show(done: int, total: int) -> None:
        print(f"\rfetching the feed's pages: {done}/{total}", end="\n" if done == total else "", file=sys.stderr)

    return show


def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    from rag.feeds import add_feed, list_feeds, remove_feed, update_feeds

    if args.feeds_command == "add":
        update = add_feed(args.url, settings, args.every, _progress(settings))
        print(f"following {update.feed.title or args.url} ({args.url}), every {args.every}")
        for line in update.report.lines():
            print(line)
    elif args.feeds_command == "list":
        feeds = list_feeds(settings)
        if not feeds:
            print("no feeds followed; add one with `rag feeds add URL`")
        for feed in feeds:
            print(
                f"{feed.url}  {feed.title}  every {feed.every_seconds // 60} min, {len(feed.articles)} articles, "
                f"last update {feed.last_update or 'never'}"
            )
    elif args.feeds_command == "remove":
        if not remove_feed(args.url, settings):
            print(f"error: {args.url} is not followed (see `rag feeds list`)", file=sys.stderr)
            return 1
        print(f"no longer following {args.url}; its articles stay indexed")
    else:
        for update in update_feeds(settings, on_progress=_progress(settings)):
            print(update.line())
            for line in update.report.lines()[1:]:
                print(f"  {line}")
    return 0


def _watch(args: argparse.Namespace, settings: Settings) -> int:
    import threading

    from rag.feeds import list_feeds, watch

    if not list_feeds(settings):
        print("error: no feeds followed; add one with `rag feeds add URL`", file=sys.stderr)
        return 1
    print("watching the feeds; stop with Ctrl-C", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        watch(settings, threading.Event(), lambda line: print(line, flush=True))
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.chain import build_chain, clean_question

    clean_question(args.question, settings.max_question_chars)  # refuse an empty one before loading anything
    filters = {
        "sources": [str(Path(s).resolve()) for s in args.sources] if args.sources else None,
        "date_from": args.date_from,
        "date_to": args.date_to,
    }
    result = build_chain(settings).invoke({"question": args.question, "chat_history": [], "filters": filters})
    if args.json:
        print(json.dumps(dict(result), ensure_ascii=False, indent=2))
        return 0
    print(result["answer"])
    for citation in result["citations"]:
        outlet = f"{citation['outlet']}, " if citation["outlet"] else ""
        print(f"\n[{citation['n']}] {citation['title']} ({outlet}{citation['date'] or 'undated'}) {citation['source']}")
        print(f"    “{citation['quote']}”")
        for carrier in citation["also_in"]:
            print(f"    also in {carrier['outlet'] or carrier['title']}: {carrier['url'] or ''}")
    for warning in result["warnings"]:
        print(f"\nnote: {warning}", file=sys.stderr)
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from rag.chain import clean_question
    from rag.retrieval import build_retriever

    query, _ = clean_question(args.query, settings.max_question_chars)
    found = build_retriever(settings).search(query, k=args.k or settings.k)
    rows: list[dict[str, Any]] = [{**doc.metadata, "text": doc.page_content} for doc, _ in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for rank, row in enumerate(rows, start=1):
        print(f"{rank}. {row['score']:.3f}  {row['title']} · {row['chunk_id']}")
        print(f"   {row['text']}\n")
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluation import evaluate_file

    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    result = evaluate_file(args.file, settings, limit=args.limit, corpus=args.corpus)
    print(json.dumps(result.to_json(), ensure_ascii=False, indent=2) if args.json else result.table())
    return 0


def _reindex(args: argparse.Namespace, settings: Settings) -> int:
    from rag.indexing import reindex

    for line in reindex(settings).lines():
        print(line)
    return 0


# Inside the package, so a plain (non-editable) install ships it too.
APP = Path(__file__).resolve().parent / "ui" / "app.py"


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the chat page: `streamlit run` on the package's own app, with rag's server settings."""
    if importlib.util.find_spec("streamlit") is None:
        raise MissingExtraError("The chat page", "ui", "streamlit")
    if not APP.is_file():
        raise RagError(f"The chat app is not at {APP}: reinstall rag (`pip install '.[ui]'`).")
    upload_mb = max(1, math.ceil(settings.max_file_bytes / 2**20))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(upload_mb),
        "--server.enableXsrfProtection",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(f"Serving the chat on http://{'localhost' if args.host == '127.0.0.1' else args.host}:{args.port}")
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


_COMMANDS = {
    "ingest": _ingest,
    "feeds": _feeds,
    "watch": _watch,
    "ask": _ask,
    "search": _search,
    "eval": _eval,
    "reindex": _reindex,
    "ui": _ui,
}

if __name__ == "__main__":
    sys.exit(main())
