"""A news site for the fetching tests: article pages, feeds and hostile cases on 127.0.0.1.

Pages are built from the Wikinews articles in `../shared/news/it` so answers can be checked.
Routes are plain data (`NewsSite.routes`) that a test may change between two fetches; the server
answers conditional requests (ETag / If-None-Match) and counts the requests per path.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NEWS = Path(__file__).resolve().parents[2] / "shared" / "news" / "it"


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    delay: float = 0.0  # seconds before the headers: a slow server
    declare_length: bool = True  # False: no Content-Length, the body runs until the connection closes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Article:
    title: str
    date: str  # as written in the file: "1 marzo 2008"
    paragraphs: tuple[str, ...]

    @classmethod
    def read(cls, name: str) -> Article:
        lines = [line.strip() for line in (NEWS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        return cls(lines[0], lines[1], tuple(lines[2:]))


def page_with_metadata(article: Article, *, iso_date: str, outlet: str, canonical: str, title: str = "") -> bytes:
    """An article page whose title, date, outlet and canonical URL are in <meta> tags and JSON-LD."""
    headline = title or article.title
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline, "datePublished": iso_date}
    body = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return f"""<!doctype html><html lang="it"><head><meta charset="utf-8">
<title>{html.escape(headline)} | {outlet}</title>
<meta property="og:title" content="{html.escape(headline)}">
<meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{iso_date}">
<link rel="canonical" href="{canonical}">
<script type="application/ld+json">{json.dumps(ld)}</script>
<script>var trackingSecret = "SCRIPTED-TEXT-NEVER-INDEXED";</script>
<style>.x {{ color: red }}</style></head>
<body><nav><a href="/">Home</a> <a href="/mondo">Mondo</a> <a href="/economia">Economia</a></nav>
<article><h1>{html.escape(headline)}</h1>{body}
<div style="display: none">HIDDEN-TEXT-NEVER-INDEXED</div></article>
<footer>© {outlet} – tutti i diritti riservati</footer></body></html>""".encode()


def page_with_dateline(article: Article, city: str) -> bytes:
    """A bare page: a heading, then a dateline ("ROMA, 1 marzo 2008 – …") opening the body."""
    first, *rest = article.paragraphs
    body = f"<p>{city.upper()}, {html.escape(article.date)} – {html.escape(first)}</p>"
    body += "".join(f"<p>{html.escape(p)}</p>" for p in rest)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(article.title)}</title></head>
<body><article><h1>{html.escape(article.title)}</h1>{body}</article></body></html>""".encode()


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """RSS 2.0 of (title, link, RFC 822 date) items."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link><pubDate>{date}</pubDate></item>"
        for t, link, date in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
        f"<link>http://example.invalid/</link><description>news</description>{entries}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[tuple[str, str, str]]) -> bytes:
    """Atom 1.0 of (title, link, ISO date) entries."""
    body = "".join(
        f'<entry><title>{html.escape(t)}</title><link href="{html.escape(link)}"/><id>{html.escape(link)}</id>'
        f"<updated>{date}</updated></entry>"
        for t, link, date in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{html.escape(title)}'
        f"</title><id>urn:test</id><updated>2009-01-01T00:00:00Z</updated>{body}</feed>"
    ).encode()


class NewsSite:
    """`with NewsSite() as site:` serves `site.routes` on http://127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.encodings: list[str] = []  # Accept-Encoding of each request
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests[self.path] += 1
                site.user_agents.append(self.headers.get("User-Agent", ""))
                site.encodings.append(self.headers.get("Accept-Encoding", ""))
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                time.sleep(route.delay)
                etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    site.not_modified[self.path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", route.content_type)
                if route.declare_length:
                    self.send_header("Content-Length", str(len(route.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.send_header("ETag", etag)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# The articles the standard site serves (files of ../shared/news/it).
TANKER = "airbus-100911.txt"  # Northrop Grumman/EADS win the 40-billion tanker contract, 1 March 2008
DREAMLINER = "airbus-276079.txt"  # the first 787 delivered, 8 August 2011
IPHONE = "apple-191597.txt"  # iPhone 4 pre-orders overwhelm Apple, 16 June 2010
BARRA = "gm-1007169.txt"  # Mary Barra to lead GM, 10 December 2013
BEATLES = "apple-37313.txt"  # Apple Corps sues Apple Computer, 28 March 2006


def wire_copy(article: Article) -> Article:
    """The same wire story as another outlet runs it: a new headline, a byline, a sentence trimmed."""
    first, *rest = article.paragraphs
    trimmed = first.split(". ", 1)[-1]
    return Article("Il caso: " + article.title.lower(), article.date, ("di Redazione Esteri (Reuters)", trimmed, *rest))


def standard_site(site: NewsSite) -> None:
    """Pages with metadata, a dateline-only page, two feeds, a wire story twice and the hostile cases."""
    url = site.url
    tanker = Article.read(TANKER)
    site.routes["/economia/tanker.html"] = Route(
        page_with_metadata(
            tanker, iso_date="2008-03-01", outlet="Gazzetta Aerea", canonical=f"{url}/economia/tanker.html"
        )
    )
    # Reached through a tracking link; the page names its canonical URL.
    site.routes["/economia/tanker.html?utm_source=rss"] = site.routes["/economia/tanker.html"]
    site.routes["/mondo/dreamliner.html"] = Route(page_with_dateline(Article.read(DREAMLINER), "Seattle"))
    site.routes["/tech/iphone.html"] = Route(page_with_dateline(Article.read(IPHONE), "Cupertino"))
    barra = Article.read(BARRA)
    site.routes["/auto/barra.html"] = Route(
        page_with_metadata(barra, iso_date="2013-12-10", outlet="Corriere Motori", canonical=f"{url}/auto/barra.html")
    )
    beatles = Article.read(BEATLES)
    site.routes["/wire/beatles.html"] = Route(
        page_with_metadata(beatles, iso_date="2006-03-28", outlet="Agenzia Uno", canonical=f"{url}/wire/beatles.html")
    )
    copy = wire_copy(beatles)
    site.routes["/altro/beatles-copia.html"] = Route(
        page_with_metadata(
            copy, iso_date="2006-03-28", outlet="Quotidiano Due", canonical=f"{url}/altro/beatles-copia.html"
        )
    )
    site.routes["/feed.xml"] = Route(
        rss(
            "Notizie",
            [
                (
                    "Aerocisterne: vince Northrop Grumman",
                    f"{url}/economia/tanker.html?utm_source=rss",
                    "Sat, 01 Mar 2008 09:00:00 GMT",
                ),
                ("Il primo 787 consegnato", f"{url}/mondo/dreamliner.html", "Mon, 08 Aug 2011 10:00:00 GMT"),
                ("iPhone 4, prenotazioni record", f"{url}/tech/iphone.html", "Wed, 16 Jun 2010 08:00:00 GMT"),
            ],
        ),
        "application/rss+xml",
    )
    site.routes["/atom"] = Route(
        atom("Motori", [("Mary Barra alla guida di GM", f"{url}/auto/barra.html", "2013-12-10T12:00:00Z")]),
        "application/atom+xml",
    )
    site.routes["/loop-a"] = Route(b"", status=302, location="/loop-b")
    site.routes["/loop-b"] = Route(b"", status=302, location="/loop-a")
    site.routes["/slow.html"] = Route(page_with_dateline(Article.read(IPHONE), "Roma"), delay=3.0)
    site.routes["/big.html"] = Route(b"<html><body><p>" + b"parola " * 60_000 + b"</p></body></html>")
    site.routes["/odd-redirect"] = Route(b"", status=302, location="http://[::1")
    site.routes["/report.pdf"] = Route(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf")
    site.routes["/broken.xml"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Rotto', "application/rss+xml"
    )
