"""Ingesting web pages and feeds from a real local HTTP server, and answering from them."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag
from rag.fetching import Fetched, Fetcher
from rag.store import open_store
from rag.web import WebReader, is_feed, parse_feed
from tests.news_site import BARRA, TANKER, Article, NewsSite, Route, page_with_metadata, rss


def chunks_by_source(settings: rag.Settings) -> dict[str, list[str]]:
    _, texts, metadatas = open_store(settings).all_chunks()
    found: dict[str, list[str]] = {}
    for text, meta in zip(texts, metadatas, strict=True):
        found.setdefault(str(meta["source"]), []).append(text)
    return found


def test_a_page_keeps_title_date_outlet_author_and_canonical_url(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    report = rag.ingest([f"{news_site.url}/economia/tanker.html?utm_source=rss"], web_settings)
    canonical = f"{news_site.url}/economia/tanker.html"
    assert report.added == (canonical,)
    [article] = rag.index_status(web_settings).articles
    assert article.title == Article.read(TANKER).title
    assert (article.date, article.outlet) == ("2008-03-01", "Gazzetta Aerea")
    text = " ".join(chunks_by_source(web_settings)[canonical])
    assert "SCRIPTED-TEXT" not in text and "HIDDEN-TEXT" not in text and "trackingSecret" not in text
    assert "Home" not in text and "diritti riservati" not in text  # navigation and footer
    assert "Paul Nesbit" in text  # the whole article, not a summary


def test_a_canonical_url_on_another_site_or_the_root_is_not_taken(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    article = Article.read(TANKER)
    for path, canonical in [("/claims.html", "https://victim.example/story-1"), ("/root.html", f"{news_site.url}/")]:
        news_site.routes[path] = Route(
            page_with_metadata(article, iso_date="2008-03-01", outlet="Copione", canonical=canonical)
        )
    report = rag.ingest([f"{news_site.url}/claims.html"], web_settings)
    assert report.added == (f"{news_site.url}/claims.html",)
    report = rag.ingest([f"{news_site.url}/root.html"], web_settings)
    assert report.duplicates == ((f"{news_site.url}/root.html", f"{news_site.url}/claims.html"),)


def test_reindex_rebuilds_fetched_pages_from_their_kept_copy(news_site: NewsSite, web_settings: rag.Settings) -> None:
    rag.ingest([f"{news_site.url}/auto/barra.html"], web_settings)
    del news_site.routes["/auto/barra.html"]  # gone from the web
    report = rag.reindex(web_settings)
    assert report.added == (f"{news_site.url}/auto/barra.html",) and not report.skipped
    [article] = rag.index_status(web_settings).articles
    assert (article.title, article.date, article.outlet) == (Article.read(BARRA).title, "2013-12-10", "Corriere Motori")


def test_a_page_with_only_a_dateline_is_dated_from_it(news_site: NewsSite, web_settings: rag.Settings) -> None:
    rag.ingest([f"{news_site.url}/mondo/dreamliner.html"], web_settings)
    [article] = rag.index_status(web_settings).articles
    assert article.date == "2011-08-08"
    assert article.outlet == "127.0.0.1"  # no site name on the page: the host


def test_hostile_urls_are_named_and_the_rest_is_ingested(
    news_site: NewsSite, web_settings: rag.Settings, tmp_path: Path
) -> None:
    before = rag.ingest([f"{news_site.url}/auto/barra.html"], web_settings)
    local = tmp_path / "local.txt"
    local.write_text("Notizia locale\n3 marzo 2024\n\nUn articolo salvato come file, letto insieme agli URL.\n")
    hostile = ["/loop-a", "/slow.html", "/big.html", "/report.pdf", "/broken.xml", "/missing.html", "/odd-redirect"]
    report = rag.ingest(
        [*(news_site.url + path for path in hostile), f"{news_site.url}/mondo/dreamliner.html", str(local)],
        web_settings,
    )
    reasons = dict(report.skipped)
    assert set(reasons) == {news_site.url + path for path in hostile}
    assert "redirect loop" in reasons[f"{news_site.url}/loop-a"]
    assert "timed out" in reasons[f"{news_site.url}/slow.html"]
    assert "byte limit" in reasons[f"{news_site.url}/big.html"]
    assert "application/pdf" in reasons[f"{news_site.url}/report.pdf"]
    assert "not a readable RSS or Atom feed" in reasons[f"{news_site.url}/broken.xml"]
    assert "HTTP 404" in reasons[f"{news_site.url}/missing.html"]
    assert set(report.added) == {f"{news_site.url}/mondo/dreamliner.html", str(local.resolve())}
    assert set(chunks_by_source(web_settings)) == {*before.added, *report.added}  # nothing lost
    assert any(line.startswith(f"skipped {news_site.url}/report.pdf: ") for line in report.lines())


def test_a_feed_ingests_each_entry_whole_and_fills_what_the_page_lacks(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    report = rag.ingest([f"{news_site.url}/feed.xml"], web_settings)
    assert set(report.added) == {
        f"{news_site.url}/economia/tanker.html",
        f"{news_site.url}/mondo/dreamliner.html",
        f"{news_site.url}/tech/iphone.html",
    }
    articles = {a.source: a for a in rag.index_status(web_settings).articles}
    assert articles[f"{news_site.url}/tech/iphone.html"].date == "2010-06-16"
    assert "Best Buy" in " ".join(chunks_by_source(web_settings)[f"{news_site.url}/tech/iphone.html"])


def test_an_atom_feed_and_a_feed_without_an_xml_suffix_or_type(news_site: NewsSite, web_settings: rag.Settings) -> None:
    news_site.routes["/latest"] = Route(news_site.routes["/feed.xml"].body, "text/html")
    report = rag.ingest([f"{news_site.url}/atom", f"{news_site.url}/latest"], web_settings)
    assert f"{news_site.url}/auto/barra.html" in report.added
    assert len(report.added) == 4 and not report.skipped


def test_a_feed_entry_that_fails_is_named_and_the_others_are_read(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    url = news_site.url
    news_site.routes["/mixed.xml"] = Route(
        rss("Misto", [("PDF", f"{url}/report.pdf", ""), ("Barra", f"{url}/auto/barra.html", "")]), "application/rss+xml"
    )
    result = WebReader(Fetcher(web_settings)).read(f"{url}/mixed.xml")
    assert [doc.source for doc in result.documents] == [f"{url}/auto/barra.html"]
    assert result.skipped == ((f"{url}/report.pdf", "content type application/pdf is not an article page or a feed"),)


def test_feed_detection_reads_the_content() -> None:
    feed = Fetched("http://a/f", "text/plain", b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c -->\n<rss version="2.0">')
    page = Fetched("http://a/p", "application/xml", b"<!DOCTYPE html><html><body>x</body></html>")
    assert is_feed(feed) and not is_feed(page)
    assert parse_feed(Fetched("http://a/f", "application/rss+xml", rss("T", [("a", "http://a/1", "")]))).entries


def test_answers_from_a_fetched_article_cite_its_url_title_date_and_outlet(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    rag.ingest([f"{news_site.url}/atom", f"{news_site.url}/economia/tanker.html"], web_settings)
    result = rag.build_chain(web_settings).invoke(
        {"question": "Chi è la nuova CEO di General Motors?", "chat_history": []}
    )
    assert not result["abstained"]
    citation = result["citations"][0]
    assert citation["source"] == citation["url"] == f"{news_site.url}/auto/barra.html"
    assert (citation["title"], citation["date"], citation["outlet"]) == (
        Article.read(BARRA).title,
        "2013-12-10",
        "Corriere Motori",
    )
    whole = rag.article_text(citation["source"], web_settings)
    assert whole[citation["quote_start"] : citation["quote_end"]] == citation["quote"]


def test_a_url_that_is_not_indexed_has_no_text(web_settings: rag.Settings) -> None:
    with pytest.raises(rag.RagError, match="not indexed"):
        rag.article_text("http://127.0.0.1:9/never.html", web_settings)
