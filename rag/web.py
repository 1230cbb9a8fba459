"""Web sources: a URL is an article page or an RSS/Atom feed, told apart by its content.

A page is read like a local HTML file (trafilatura; scripts, styles, hidden elements, navigation
and comments are never indexed) and keyed by its canonical URL. A feed (parsed by feedparser)
stands for every entry's linked article, fetched whole; the entry's title and date fill what the
page lacks. Every failure is named with its URL and reason, and the rest is read.

Usage:
    >>> reader = WebReader(Fetcher(Settings()))  # doctest: +SKIP
    >>> result = reader.read("https://example.org/feed.xml")  # doctest: +SKIP
    >>> [doc.title for doc in result.documents], result.skipped  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rag.fetching import FEED_TYPES, Fetched, Fetcher, FetchError
from rag.loading import LoadedDocument, LoadError, load_page

logger = logging.getLogger(__name__)

# The first element of a feed document, after an XML declaration, comments or a doctype.
_FEED_ROOT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(rss|feed|rdf:RDF)\b", re.S
)


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str | None
    date: str | None  # YYYY-MM-DD


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True)
class PageState:
    """What a conditional request for a page needs next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class WebResult:
    """What reading one URL gave."""

    documents: tuple[LoadedDocument, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    unchanged: tuple[str, ...] = ()  # a feed's pages that a conditional request found unchanged
    feed: ParsedFeed | None = None
    feed_fetched: Fetched | None = None
    pages: Mapping[str, PageState] = field(default_factory=dict)  # entry link -> validators


def is_feed(fetched: Fetched) -> bool:
    """An RSS, Atom or RDF document, by its root element (an XML media type alone is not enough)."""
    return bool(_FEED_ROOT.match(fetched.body[:4096])) or (
        fetched.content_type in FEED_TYPES
        and not fetched.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    )


def parse_feed(fetched: Fetched) -> ParsedFeed:
    """The entries of a feed; raises `FetchError` when it is not a readable RSS or Atom feed."""
    import feedparser

    parsed: Any = feedparser.parse(fetched.body, response_headers={"content-location": fetched.url})
    if not parsed.version or (parsed.bozo and not parsed.entries):
        reason = getattr(parsed, "bozo_exception", None) or "no RSS or Atom content"
        raise FetchError(f"{fetched.url}: not a readable RSS or Atom feed ({reason})")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        # dict.get: feedparser's own get() maps a missing date to the other one, with a warning.
        stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        entries.append(FeedEntry(str(link), entry.get("title"), time.strftime("%Y-%m-%d", stamp) if stamp else None))
    return ParsedFeed(str(parsed.feed.get("title") or fetched.url), tuple(entries))


class WebReader:
    """Reads URLs into articles: a page as itself, a feed as the pages it links to.

    :param fetcher: does the (safe) fetching.
    :param on_progress: called with (done, total) while a feed's pages are fetched.
    """

    def __init__(self, fetcher: Fetcher, on_progress: Callable[[int, int], None] | None = None) -> None:
        self.fetcher = fetcher
        self.on_progress = on_progress

    def read(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        pages: Mapping[str, PageState] | None = None,
    ) -> WebResult:
        """Fetch `url`; for a feed, fetch its entries (conditionally, with `pages`' validators).

        :param etag: the validators of the caller's copy of `url` (a feed's last fetch).
        :param pages: the validators of the entries' pages from the last fetch, by entry link.
        :returns: the articles read, what was skipped and why, and for a feed its entries.
        """
        try:
            fetched = self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
            if fetched.not_modified:
                return WebResult(feed_fetched=fetched)
            if not is_feed(fetched):
                return WebResult(documents=(load_page(fetched.url, fetched.body, fetched.content_type),))
            feed = parse_feed(fetched)
        except (FetchError, LoadError) as exc:
            return WebResult(skipped=(_skip(url, exc),))
        documents: list[LoadedDocument] = []
        skipped: list[tuple[str, str]] = []
        unchanged: list[str] = []
        states: dict[str, PageState] = {}
        known = pages or {}
        for done, entry in enumerate(feed.entries, start=1):
            state = known.get(entry.link, PageState())
            try:
                page = self.fetcher.fetch(entry.link, etag=state.etag, last_modified=state.last_modified)
                if page.not_modified:
                    unchanged.append(entry.link)
                else:
                    hints = {k: v for k, v in (("title", entry.title), ("date", entry.date)) if v}
                    documents.append(load_page(page.url, page.body, page.content_type, hints))
                # Only a page read whole (or confirmed unchanged) may answer 304 next time; a 304
                # need not repeat the validators, so the known ones stay.
                states[entry.link] = PageState(page.etag or state.etag, page.last_modified or state.last_modified)
            except (FetchError, LoadError) as exc:
                skipped.append(_skip(entry.link, exc))
            if self.on_progress:
                self.on_progress(done, len(feed.entries))
        return WebResult(tuple(documents), tuple(skipped), tuple(unchanged), feed, fetched, states)


def _skip(url: str, exc: Exception) -> tuple[str, str]:
    """The report's (url, reason), the reason without the URL it starts with; logged too."""
    reason = str(exc).removeprefix(f"{url}: ")
    logger.warning("skipping %s: %s", url, reason)
    return url, reason
