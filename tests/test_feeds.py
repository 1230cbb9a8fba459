"""Following feeds: add, list, remove, update (conditional, incremental) and watch."""

from __future__ import annotations

import threading
import time

import pytest

import rag
from rag.cli import main
from rag.feeds import add_feed, list_feeds, parse_every, remove_feed, update_feeds, watch
from rag.store import open_store
from tests.news_site import DREAMLINER, Article, NewsSite, Route, page_with_dateline


def test_add_fetches_the_feed_now_and_remembers_it(news_site: NewsSite, web_settings: rag.Settings) -> None:
    update = add_feed(f"{news_site.url}/feed.xml", web_settings, every="2h")
    assert len(update.report.added) == 3
    [feed] = list_feeds(web_settings)
    assert (feed.url, feed.title, feed.every_seconds) == (f"{news_site.url}/feed.xml", "Notizie", 7200)
    assert len(feed.articles) == 3 and feed.last_update


def test_a_second_update_of_an_unchanged_feed_costs_one_request_and_adds_nothing(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    add_feed(f"{news_site.url}/feed.xml", web_settings)
    before = sum(news_site.requests.values())
    [update] = update_feeds(web_settings)
    assert update.not_modified and not update.report.changed
    assert sum(news_site.requests.values()) == before + 1
    assert news_site.not_modified["/feed.xml"] == 1


def test_a_changed_page_is_re_embedded_and_only_it(news_site: NewsSite, web_settings: rag.Settings) -> None:
    add_feed(f"{news_site.url}/feed.xml", web_settings)
    article = Article.read(DREAMLINER)
    changed = Article(
        article.title, article.date, (*article.paragraphs, "Aggiornamento: il volo inaugurale è confermato.")
    )
    news_site.routes["/mondo/dreamliner.html"] = Route(page_with_dateline(changed, "Seattle"))
    # The CMS regenerates the feed when an entry changes.
    feed = news_site.routes["/feed.xml"]
    news_site.routes["/feed.xml"] = Route(
        feed.body.replace(b"</channel>", b"<!-- updated --></channel>"), feed.content_type
    )
    [update] = update_feeds(web_settings)
    assert update.report.updated == (f"{news_site.url}/mondo/dreamliner.html",)
    assert update.report.added == () and 0 < update.report.chunks_added < 5
    assert news_site.not_modified["/tech/iphone.html"] == 1  # the others answered 304
    answer = rag.build_chain(web_settings).invoke({"question": "Il volo inaugurale è confermato?", "chat_history": []})
    assert any("volo inaugurale è confermato" in c["quote"] for c in answer["citations"])


def test_a_new_entry_is_added_on_update(news_site: NewsSite, web_settings: rag.Settings) -> None:
    add_feed(f"{news_site.url}/atom", web_settings)
    news_site.routes["/atom"] = Route(
        news_site.routes["/feed.xml"].body, "application/rss+xml"
    )  # now lists three other pages
    [update] = update_feeds(web_settings)
    assert len(update.report.added) == 3
    assert len(list_feeds(web_settings)[0].articles) == 4


def test_a_page_or_a_broken_feed_is_not_followed(news_site: NewsSite, web_settings: rag.Settings) -> None:
    with pytest.raises(rag.RagError, match="not an RSS or Atom feed"):
        add_feed(f"{news_site.url}/mondo/dreamliner.html", web_settings)
    with pytest.raises(rag.RagError, match="not a readable RSS or Atom feed"):
        add_feed(f"{news_site.url}/broken.xml", web_settings)
    with pytest.raises(rag.RagError, match="not an http"):
        add_feed("feed.xml", web_settings)
    assert list_feeds(web_settings) == []


def test_a_feed_that_fails_later_keeps_its_articles(news_site: NewsSite, web_settings: rag.Settings) -> None:
    add_feed(f"{news_site.url}/feed.xml", web_settings)
    del news_site.routes["/feed.xml"]
    [update] = update_feeds(web_settings)
    assert "HTTP 404" in update.report.skipped[0][1]
    assert len(rag.index_status(web_settings).articles) == 3
    assert len(list_feeds(web_settings)[0].articles) == 3


def test_a_failed_update_waits_its_interval_before_the_next_try(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    added = add_feed(f"{news_site.url}/atom", web_settings, every="1h")
    del news_site.routes["/atom"]
    time.sleep(1.1)  # times are kept to the second: the failed try must fall in a later one
    [update] = update_feeds(web_settings)
    assert update.report.skipped and update.feed.last_attempt != update.feed.last_update
    assert update.feed.last_update == added.feed.last_update
    assert list_feeds(web_settings)[0].due > time.time() + 3000
    assert update_feeds(web_settings, due_only=True) == []


def test_an_update_while_another_ingest_writes_is_reported_not_raised(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    add_feed(f"{news_site.url}/atom", web_settings)
    news_site.routes["/atom"] = Route(news_site.routes["/feed.xml"].body, "application/rss+xml")
    with open_store(web_settings).writer_lock():
        [update] = update_feeds(web_settings)
    assert "Another ingest is writing" in update.report.skipped[0][1]
    [update] = update_feeds(web_settings)  # the feed's validators were kept: fetched again, and ingested
    assert len(update.report.added) == 3


def test_remove_stops_following_and_keeps_the_articles(news_site: NewsSite, web_settings: rag.Settings) -> None:
    add_feed(f"{news_site.url}/atom", web_settings)
    assert remove_feed(f"{news_site.url}/atom", web_settings)
    assert not remove_feed(f"{news_site.url}/atom", web_settings)
    assert list_feeds(web_settings) == [] and len(rag.index_status(web_settings).articles) == 1


def test_watch_updates_due_feeds_with_a_line_per_round(news_site: NewsSite, web_settings: rag.Settings) -> None:
    add_feed(f"{news_site.url}/atom", web_settings, every="1s")
    lines: list[str] = []
    stop = threading.Event()

    def log(line: str) -> None:
        lines.append(line)
        if len(lines) == 2:
            stop.set()

    thread = threading.Thread(target=watch, args=(web_settings, stop, log))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert all(f"{news_site.url}/atom: not modified since the last update" in line for line in lines)


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("2h", 7200), ("1d", 86400), ("45s", 45)])
def test_intervals(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["30", "0m", "soon", "3w"])
def test_unreadable_intervals_say_how_to_write_them(text: str) -> None:
    with pytest.raises(rag.RagError, match="30m, 2h or 1d"):
        parse_every(text)


def test_the_feeds_commands(
    news_site: NewsSite, web_settings: rag.Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "RAG_PERSIST_DIR": str(web_settings.persist_dir),
        "RAG_FETCH_ALLOW_PRIVATE": "true",
        "RAG_FETCH_HOST_INTERVAL": "0",
        "RAG_PROGRESS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    feed = f"{news_site.url}/feed.xml"
    assert main(["feeds", "add", feed, "--every", "2h"]) == 0
    assert f"following Notizie ({feed}), every 2h" in capsys.readouterr().out
    assert main(["feeds", "list"]) == 0
    assert f"{feed}  Notizie  every 120 min, 3 articles" in capsys.readouterr().out
    assert main(["feeds", "update"]) == 0
    assert f"{feed}: not modified since the last update" in capsys.readouterr().out
    assert main(["feeds", "remove", feed]) == 0
    assert main(["feeds", "remove", feed]) == 1
    assert "is not followed" in capsys.readouterr().err


def test_ingest_refuses_a_loopback_url_without_the_setting(
    news_site: NewsSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_PROGRESS", "false")
    url = f"{news_site.url}/mondo/dreamliner.html"
    assert main(["ingest", url]) == 0
    out = capsys.readouterr().out
    assert f"skipped {url}: refused, 127.0.0.1 is a private or local address" in out
    assert "RAG_FETCH_ALLOW_PRIVATE=true" in out
    assert sum(news_site.requests.values()) == 0
