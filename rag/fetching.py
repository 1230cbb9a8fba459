"""Fetching: one web page or feed over HTTP(S), safely, for ingestion.

What a shared chat page may make the server fetch is limited: only `http`/`https`; no private,
loopback, link-local or reserved address (checked after DNS resolution and again on every
redirect) unless `RAG_FETCH_ALLOW_PRIVATE=true`; a connect and a total timeout; the file size cap;
a redirect limit; only HTML, XML feeds and plain text are accepted, so a PDF or an image URL is
named and refused, not parsed as HTML. Requests to one host are spaced by
`RAG_FETCH_HOST_INTERVAL` seconds and carry a User-Agent that says who is asking.
Conditional requests (ETag / Last-Modified) let an unchanged page or feed cost one round trip.
Bodies are asked for uncompressed, so the size cap counts what is read, not a decompressed bomb.
The address is checked before connecting and httpx resolves the name again: a DNS server that
answers differently the second time (DNS rebinding) is not defended against.

Usage:
    >>> fetcher = Fetcher(Settings())  # doctest: +SKIP
    >>> page = fetcher.fetch("https://example.org/news/1.html")  # doctest: +SKIP
    >>> page.url, page.content_type  # doctest: +SKIP
    ('https://example.org/news/1.html', 'text/html')
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from rag.config import Settings
from rag.errors import RagError

logger = logging.getLogger(__name__)

USER_AGENT = "rag-news-reader/1.0 (question answering over news articles; fetches the pages a user asked for)"
MAX_REDIRECTS = 5  # browsers allow 20; a news page needs one or two (http -> https, a short link)
WEB_SCHEMES = {"http", "https"}
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain", *FEED_TYPES)
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(RagError):
    """A URL could not be fetched or is refused; the message names the reason."""


@dataclass(frozen=True)
class Fetched:
    """A response body with what the next conditional request needs."""

    url: str  # after redirects
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304: `body` is empty and the caller's copy is current


def is_url(text: str) -> bool:
    """Whether an ingest argument is a web address rather than a path."""
    try:
        parts = urlsplit(text)
        return parts.scheme in WEB_SCHEMES and bool(parts.hostname)
    except ValueError:  # e.g. "http://[x": not a URL that can be fetched
        return False


class Fetcher:
    """Fetches URLs under the safety rules above; one instance per ingest keeps the host spacing.

    :param settings: `fetch_*` settings and `max_file_bytes`, the size cap.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET `url`, following at most `MAX_REDIRECTS` redirects, each one checked.

        :param etag: the ETag of the copy the caller holds, sent as If-None-Match.
        :param last_modified: its Last-Modified, sent as If-Modified-Since.
        :returns: the body, or `not_modified=True` on a 304.
        :raises FetchError: with the URL and the reason.
        """
        settings = self.settings
        deadline = time.monotonic() + settings.fetch_timeout
        # identity: a compressed body could grow past the size cap inside one decoded chunk.
        headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(ACCEPTED_TYPES), "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        seen: set[str] = set()
        with httpx.Client(follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                if current in seen:
                    raise FetchError(f"{url}: redirect loop at {current}")
                seen.add(current)
                try:
                    self._check_address(current)
                    self._wait_turn(current)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise FetchError(f"{url}: took over {settings.fetch_timeout:g} s (RAG_FETCH_TIMEOUT)")
                    timeout = httpx.Timeout(left, connect=min(left, settings.fetch_connect_timeout))
                    with client.stream("GET", current, headers=headers, timeout=timeout) as response:
                        if response.status_code in _REDIRECTS and "location" in response.headers:
                            current = urljoin(current, response.headers["location"])
                            continue
                        return self._read(url, response, deadline)
                except httpx.TimeoutException as exc:
                    raise FetchError(f"{url}: timed out ({type(exc).__name__})") from exc
                except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
                    raise FetchError(f"{url}: {str(exc) or type(exc).__name__}") from exc
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, response: httpx.Response, deadline: float) -> Fetched:
        """The body of a final (non-redirect) response to the request for `url`, under the caps."""
        final = str(response.url)
        if response.status_code == 304:
            return Fetched(final, "", b"", response.headers.get("etag"), response.headers.get("last-modified"), True)
        if response.status_code >= 400:
            raise FetchError(f"{url}: the server answered HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and content_type not in ACCEPTED_TYPES:
            raise FetchError(f"{url}: content type {content_type} is not an article page or a feed")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in {"identity", ""}:  # asked for identity: a decoded chunk could pass the cap
            raise FetchError(f"{url}: the server sent a {encoding}-compressed body although asked not to")
        cap = self.settings.max_file_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"{url}: {int(declared):,} bytes, over the {cap:,}-byte limit (RAG_MAX_FILE_BYTES)")
        body = bytearray()
        for part in response.iter_bytes():
            body.extend(part)
            if len(body) > cap:
                raise FetchError(f"{url}: over the {cap:,}-byte limit (RAG_MAX_FILE_BYTES)")
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: took over {self.settings.fetch_timeout:g} s (RAG_FETCH_TIMEOUT)")
        return Fetched(
            final, content_type, bytes(body), response.headers.get("etag"), response.headers.get("last-modified")
        )

    def _check_address(self, url: str) -> None:
        """Refuse other schemes, and private or local addresses unless they are allowed."""
        parts = urlsplit(url)
        if parts.scheme not in WEB_SCHEMES or not parts.hostname:
            raise FetchError(f"{url}: only http and https URLs are fetched")
        if self.settings.fetch_allow_private:
            return
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"{url}: cannot resolve {parts.hostname} ({exc})") from exc
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not _public(address):
                raise FetchError(
                    f"{url}: refused, {parts.hostname} is a private or local address ({address}); "
                    "set RAG_FETCH_ALLOW_PRIVATE=true to fetch from your own network"
                )

    def _wait_turn(self, url: str) -> None:
        """Space requests to one host by `fetch_host_interval` seconds."""
        host = urlsplit(url).hostname or ""
        with self._lock:
            wait = self._last_request.get(host, -1e9) + self.settings.fetch_host_interval - time.monotonic()
            self._last_request[host] = time.monotonic() + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global unicast address, also for the IPv4 address an IPv6 one embeds (::ffff:, 6to4, NAT64)."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0:  # deprecated IPv4-compatible ::a.b.c.d
            embedded = ipaddress.IPv4Address(int(address))
        if embedded is not None:
            return _public(embedded)
    return True


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
