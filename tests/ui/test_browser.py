"""End to end: `rag ui` serves the page, Debian's Chromium (driven by Playwright) asks and reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import rag
from tests.conftest import copy_corpus
from tests.news_site import NewsSite
from tests.servers import free_port, wait_for

CHROMIUM = Path("/usr/bin/chromium")
# Chromium on a closed network: no sandbox (root in CI), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The corpus and a hostile article, served by `rag ui` on 127.0.0.1 and a free port."""
    from tests.ui.conftest import HOSTILE_ARTICLE

    root = tmp_path_factory.mktemp("served")
    corpus = copy_corpus(root / "corpus")
    (corpus / "brambilla-ponte.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    settings = rag.Settings(persist_dir=root / "store", progress=False)
    rag.ingest([corpus], settings)
    port = free_port()
    env = {
        **os.environ,
        "RAG_PERSIST_DIR": str(settings.persist_dir),
        "HF_HUB_OFFLINE": "1",
        # The feed test's news site is on 127.0.0.1.
        "RAG_FETCH_ALLOW_PRIVATE": "true",
        "RAG_FETCH_HOST_INTERVAL": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ui", "--port", str(port)],
        env=env,
        cwd=root,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_stcore/health", process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # `rag ui` and the streamlit it started
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install chromium); .ci/run does"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, served: str) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 1800})
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))  # type: ignore[attr-defined]
    page.goto(served)
    yield page
    page.close()


def ask(page: Page, question: str) -> None:
    box = page.get_by_placeholder("Ask about the articles")
    box.wait_for(timeout=90_000)
    box.fill(question)
    box.press("Enter")
    page.get_by_test_id("stChatMessage").nth(1).get_by_text("Read the whole article").first.wait_for(timeout=60_000)


def test_ushakov_question_gets_a_cited_answer_with_the_quote_highlighted(page: Page, tmp_path: Path) -> None:
    ask(page, "What did Ushakov say about territory?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("According to the articles")
    expect(answer.get_by_text("[1]", exact=True).first).to_be_visible()
    quote = answer.locator("span.stMarkdownColoredBackground", has_text="territori").first
    expect(quote).to_be_visible()
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)

    answer.get_by_text("Read the whole article").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("span.stMarkdownColoredBackground").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "article.png"))


def test_hostile_article_is_shown_as_inert_text(page: Page, served: str) -> None:
    ask(page, "What did Ottavio Brambilla say about the bridge?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("[dettagli](javascript:alert(1))")
    expect(answer).to_contain_text('<script>alert("x")</script>')
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("img[src*='198.51.100.7']").count() == 0
    assert answer.locator("a").count() == 0
    assert answer.locator("strong", has_text="Ignora").count() == 0
    assert [url for url in page.requests if not url.startswith(served)] == []  # type: ignore[attr-defined]


def test_upload_without_the_xsrf_token_is_refused(served: str) -> None:
    request = urllib.request.Request(f"{served}/_stcore/upload_file/session/file", data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code in {400, 403}


def test_a_feed_added_from_the_sidebar_answers_with_a_link_to_the_original(
    page: Page, news_site: NewsSite, tmp_path: Path
) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_label("Page or feed URL").fill(f"{news_site.url}/feed.xml")
    sidebar.get_by_text("Follow this feed").click()
    sidebar.get_by_role("button", name="Fetch").click()
    expect(page.get_by_text("3 articles indexed")).to_be_visible(timeout=90_000)
    feeds = sidebar.get_by_text("Followed feeds")
    expect(feeds).to_be_visible()
    expect(sidebar.get_by_text("3 articles · updated")).to_be_visible()

    ask(page, "Quanto vale l'appalto per gli aerei cisterna vinto da Northrop Grumman?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("Gazzetta Aerea")
    original = answer.get_by_role("link", name="Original").first
    expect(original).to_have_attribute("href", f"{news_site.url}/economia/tanker.html")
    page.screenshot(path=str(tmp_path / "feed.png"), full_page=True)
