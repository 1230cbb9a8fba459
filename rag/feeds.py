"""Followed feeds: which RSS/Atom feeds to keep fresh, how often, and what their last fetch gave.

The list lives in `feeds.json` in the persist folder. `update` fetches each feed with a
conditional request (an unchanged feed costs one round trip), then each entry's page the same way,
and ingests what is new or changed; `watch` runs `update` on each feed's own schedule.

Usage:
    >>> add_feed("https://example.org/feed.xml", every="30m", settings=Settings())  # doctest: +SKIP
    >>> [f.url for f in list_feeds(Settings())]  # doctest: +SKIP
    >>> for line in update_feeds(Settings()): print(line)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from filelock import FileLock

from rag.config import Settings
from rag.errors import RagError
from rag.fetching import Fetcher, is_url
from rag.indexing import Ingestor, IngestReport
from rag.store import open_store
from rag.web import PageState, WebReader

logger = logging.getLogger(__name__)

DEFAULT_EVERY = "30m"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Feed:
    """A followed feed and what its last update found."""

    url: str
    every_seconds: int
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_update: str | None = None  # ISO time of the last successful fetch
    last_attempt: str | None = None  # ISO time of the last fetch, failed or not
    articles: tuple[str, ...] = ()  # sources ingested from it
    pages: dict[str, PageState] = field(default_factory=dict)

    @property
    def due(self) -> float:
        """Seconds since the epoch at which the next update is due (a failed one waits as long)."""
        if not self.last_attempt:
            return 0.0
        return datetime.fromisoformat(self.last_attempt).timestamp() + self.every_seconds


@dataclass(frozen=True)
class FeedUpdate:
    """One feed's update: the ingest report, or why it failed."""

    feed: Feed
    report: IngestReport
    not_modified: bool = False

    def line(self) -> str:
        if self.not_modified:
            return f"{self.feed.url}: not modified since the last update"
        return f"{self.feed.url}: {self.report.summary()}"


def parse_every(text: str) -> int:
    """'30m' -> 1800 seconds; also s, h and d."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise RagError(f"Cannot read the interval {text!r}: write it like 30m, 2h or 1d.")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class FeedList:
    """The followed feeds of a persist folder, read and written whole under a file lock."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.persist_dir / "feeds.json"
        self._lock = FileLock(str(self.path) + ".lock")

    def load(self) -> dict[str, Feed]:
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RagError(f"Cannot read the feed list {self.path}: {exc}. Fix or delete the file.") from exc
        feeds = {}
        for item in raw:
            pages = {link: PageState(**state) for link, state in item.pop("pages", {}).items()}
            feed = Feed(**{**item, "articles": tuple(item.get("articles", ()))}, pages=pages)
            feeds[feed.url] = feed
        return feeds

    def save(self, feeds: dict[str, Feed]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = [asdict(feed) for feed in feeds.values()]
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(self.path)

    def change(self, edit: Callable[[dict[str, Feed]], None]) -> dict[str, Feed]:
        """Apply `edit` to the list and save it, with no other process in between."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            feeds = self.load()
            edit(feeds)
            self.save(feeds)
            return feeds


def list_feeds(settings: Settings) -> list[Feed]:
    """The followed feeds, in the order they were added."""
    return list(FeedList(settings).load().values())


def add_feed(
    url: str, settings: Settings, every: str = DEFAULT_EVERY, on_progress: Callable[[int, int], None] | None = None
) -> FeedUpdate:
    """Follow a feed and fetch it now; raises `RagError` when it is not a feed."""
    if not is_url(url):
        raise RagError(f"{url!r} is not an http(s) URL of a feed.")
    seconds = parse_every(every)
    known = FeedList(settings).load().get(url)  # following it again: keep what it brought
    feed = replace(known, every_seconds=seconds) if known else Feed(url, seconds)
    update = _update(feed, settings, Ingestor(open_store(settings)), on_progress)
    if update.report.skipped and not update.feed.last_update:
        raise RagError(f"Not following {url}: {update.report.skipped[0][1]}")
    FeedList(settings).change(lambda feeds: feeds.__setitem__(url, update.feed))
    return update


def remove_feed(url: str, settings: Settings) -> bool:
    """Stop following a feed; its articles stay indexed. Whether it was followed."""
    removed: list[Feed] = []
    FeedList(settings).change(lambda feeds: removed.extend([feeds.pop(url)] if url in feeds else []))
    return bool(removed)


def update_feeds(
    settings: Settings, *, due_only: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> list[FeedUpdate]:
    """Fetch new and changed entries of every followed feed (only those due, with `due_only`)."""
    feeds = FeedList(settings).load()
    ingestor = Ingestor(open_store(settings))
    now = time.time()
    updates = [
        _update(feed, settings, ingestor, on_progress) for feed in feeds.values() if not due_only or feed.due <= now
    ]

    def merge(current: dict[str, Feed]) -> None:
        # Only what the update learnt: an interval changed meanwhile by `feeds add` stays.
        for update in updates:
            if (now_followed := current.get(update.feed.url)) is not None:  # not removed meanwhile
                fetched = update.feed
                current[fetched.url] = replace(
                    now_followed,
                    title=fetched.title,
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                    last_update=fetched.last_update,
                    last_attempt=fetched.last_attempt,
                    articles=tuple(dict.fromkeys([*now_followed.articles, *fetched.articles])),
                    pages={**now_followed.pages, **fetched.pages},
                )

    FeedList(settings).change(merge)
    return updates


def watch(settings: Settings, stop: threading.Event, log: Callable[[str], None] = print) -> None:
    """Update each feed when it is due, until `stop` is set; one log line per feed per round."""
    while not stop.is_set():
        for update in update_feeds(settings, due_only=True):
            log(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {update.line()}")
            for line in update.report.lines()[1:]:  # duplicates and what was skipped, with why
                log(f"  {line}")
        feeds = list_feeds(settings)
        next_due = min((feed.due for feed in feeds), default=time.time() + 60)
        stop.wait(max(1.0, next_due - time.time()))


def _update(
    feed: Feed, settings: Settings, ingestor: Ingestor, on_progress: Callable[[int, int], None] | None
) -> FeedUpdate:
    """Fetch one feed and ingest what is new; a failure is the update's report, not an exception."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    attempted = replace(feed, last_attempt=stamp)
    reader = WebReader(Fetcher(settings), on_progress)
    result = reader.read(feed.url, etag=feed.etag, last_modified=feed.last_modified, pages=feed.pages)
    fetched = result.feed_fetched
    if fetched is not None and fetched.not_modified:
        return FeedUpdate(replace(attempted, last_update=stamp), IngestReport(), not_modified=True)
    if result.feed is None or fetched is None:
        skipped = result.skipped or ((feed.url, "a web page, not an RSS or Atom feed: use `rag ingest URL`"),)
        return FeedUpdate(attempted, IngestReport(skipped=skipped))
    try:
        report = ingestor.run(result.documents, skipped=result.skipped)
    except RagError as exc:  # e.g. another process is ingesting: try again next round
        return FeedUpdate(attempted, IngestReport(skipped=((feed.url, str(exc)),)))
    report = replace(report, unchanged=report.unchanged + result.unchanged)
    # An entry that failed for now is fetched again only if the feed is: keep its old validators.
    validators = (fetched.etag, fetched.last_modified) if not result.skipped else (feed.etag, feed.last_modified)
    return FeedUpdate(
        replace(
            attempted,
            title=result.feed.title,
            etag=validators[0],
            last_modified=validators[1],
            last_update=stamp,
            articles=tuple(dict.fromkeys([*feed.articles, *(doc.source for doc in result.documents)])),
            pages={**feed.pages, **result.pages},
        ),
        report,
    )
