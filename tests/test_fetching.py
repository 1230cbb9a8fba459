"""Safe fetching against a real local HTTP server (tests/news_site.py)."""

from __future__ import annotations

import gzip
import ipaddress
import time
from pathlib import Path

import pytest

import rag
from rag.fetching import USER_AGENT, Fetcher, FetchError, _public, is_url
from tests.news_site import NewsSite, Route


def test_loopback_is_refused_unless_allowed_and_nothing_is_sent(news_site: NewsSite, tmp_path: Path) -> None:
    fetcher = Fetcher(rag.Settings(persist_dir=tmp_path, fetch_host_interval=0))
    with pytest.raises(FetchError, match=r"private or local address \(127\.0\.0\.1\).*RAG_FETCH_ALLOW_PRIVATE=true"):
        fetcher.fetch(f"{news_site.url}/economia/tanker.html")
    assert sum(news_site.requests.values()) == 0


def test_a_name_that_resolves_to_loopback_is_refused(news_site: NewsSite, tmp_path: Path) -> None:
    port = news_site.url.rsplit(":", 1)[1]
    fetcher = Fetcher(rag.Settings(persist_dir=tmp_path, fetch_host_interval=0))
    with pytest.raises(FetchError, match=r"localhost is a private or local address"):
        fetcher.fetch(f"http://localhost:{port}/economia/tanker.html")
    assert sum(news_site.requests.values()) == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),
        ("2001:4860:4860::8888", True),
        ("fe80::1", False),
    ],
)
def test_addresses_and_the_ipv4_they_embed(address: str, public: bool) -> None:
    assert _public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_only_http_and_https_are_fetched(web_settings: rag.Settings, url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        Fetcher(web_settings).fetch(url)


def test_every_redirect_is_checked_again(news_site: NewsSite, web_settings: rag.Settings) -> None:
    news_site.routes["/to-file"] = Route(b"", status=302, location="file:///etc/passwd")
    with pytest.raises(FetchError, match="only http and https"):
        Fetcher(web_settings).fetch(f"{news_site.url}/to-file")


def test_redirects_are_followed_to_the_page(news_site: NewsSite, web_settings: rag.Settings) -> None:
    news_site.routes["/moved"] = Route(b"", status=301, location="/mondo/dreamliner.html")
    fetched = Fetcher(web_settings).fetch(f"{news_site.url}/moved")
    assert fetched.url == f"{news_site.url}/mondo/dreamliner.html"
    assert b"Dreamliner" in fetched.body


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/odd-redirect", r"^http://127\.0\.0\.1:\d+/odd-redirect: "),  # a broken Location: named, not raised
        ("/loop-a", "redirect loop at "),
        ("/big.html", "420,033 bytes, over the 200,000-byte limit"),
        ("/report.pdf", "content type application/pdf is not an article page or a feed"),
        ("/missing.html", "the server answered HTTP 404"),
    ],
)
def test_a_refused_url_is_named_with_its_reason(
    news_site: NewsSite, web_settings: rag.Settings, path: str, reason: str
) -> None:
    with pytest.raises(FetchError, match=reason):
        Fetcher(web_settings).fetch(news_site.url + path)


def test_too_many_redirects(news_site: NewsSite, web_settings: rag.Settings) -> None:
    for hop in range(8):
        news_site.routes[f"/hop{hop}"] = Route(b"", status=302, location=f"/hop{hop + 1}")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        Fetcher(web_settings).fetch(f"{news_site.url}/hop0")


def test_a_slow_page_times_out(news_site: NewsSite, web_settings: rag.Settings) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        Fetcher(web_settings).fetch(f"{news_site.url}/slow.html")
    assert time.monotonic() - started < 2.9  # gave up before the server answered


def test_a_body_without_a_declared_length_is_capped_while_read(news_site: NewsSite, web_settings: rag.Settings) -> None:
    news_site.routes["/endless.html"] = Route(b"<p>" + b"x" * 500_000, declare_length=False)
    with pytest.raises(FetchError, match="over the 200,000-byte limit"):
        Fetcher(web_settings).fetch(f"{news_site.url}/endless.html")


def test_bodies_are_asked_for_uncompressed(news_site: NewsSite, web_settings: rag.Settings) -> None:
    Fetcher(web_settings).fetch(f"{news_site.url}/mondo/dreamliner.html")
    assert news_site.encodings == ["identity"]  # a gzip bomb cannot grow past the cap in one chunk
    bomb = gzip.compress(b"<p>" + b"x" * 5_000_000)  # 5 MB in a few kB
    news_site.routes["/bomb.html"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="gzip-compressed body although asked not to"):
        Fetcher(web_settings).fetch(f"{news_site.url}/bomb.html")


def test_a_conditional_request_of_an_unchanged_page_is_not_modified(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    fetcher = Fetcher(web_settings)
    first = fetcher.fetch(f"{news_site.url}/mondo/dreamliner.html")
    again = fetcher.fetch(f"{news_site.url}/mondo/dreamliner.html", etag=first.etag)
    assert first.etag and not first.not_modified
    assert again.not_modified and again.body == b""
    assert news_site.not_modified["/mondo/dreamliner.html"] == 1


def test_requests_to_one_host_are_spaced(news_site: NewsSite, web_settings: rag.Settings) -> None:
    fetcher = Fetcher(web_settings.model_copy(update={"fetch_host_interval": 0.4}))
    started = time.monotonic()
    for _ in range(3):
        fetcher.fetch(f"{news_site.url}/mondo/dreamliner.html")
    assert time.monotonic() - started >= 0.8


def test_the_user_agent_says_who_fetches(news_site: NewsSite, web_settings: rag.Settings) -> None:
    Fetcher(web_settings).fetch(f"{news_site.url}/mondo/dreamliner.html")
    assert news_site.user_agents == [USER_AGENT]


def test_is_url_tells_urls_from_paths() -> None:
    assert is_url("https://example.org/a") and is_url("http://127.0.0.1:8000/feed")
    assert not is_url("corpus/article.txt") and not is_url("C:\\news\\a.txt") and not is_url("file:///a")
    assert not is_url("http://[x")
