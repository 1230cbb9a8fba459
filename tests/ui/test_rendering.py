"""Untrusted text becomes markdown that shows exactly its characters and nothing else."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from rag.ui.rendering import (
    ZERO_WIDTH_SPACE,
    answer_markdown,
    article_markdown,
    cited_passage,
    highlighted,
    inert,
    source_label,
)


def shown(markdown: str) -> str:
    """The characters a reader sees: escapes and the zero-width spaces removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(ZERO_WIDTH_SPACE, "")


def test_every_ascii_punctuation_mark_is_escaped() -> None:
    for mark in string.punctuation.replace("@", ""):
        assert inert(mark) == "\\" + mark
    assert inert("@") == "\\@" + ZERO_WIDTH_SPACE


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\ue000\ue001")))
def test_one_line_of_any_text_is_shown_as_it_is(text: str) -> None:
    markdown = inert(text)
    assert shown(markdown) == text
    assert not re.search(r"(?<!\\)[\[\]()<>!*_`$:]", markdown.replace(ZERO_WIDTH_SPACE, ""))


def test_links_images_and_html_stay_text() -> None:
    markdown = inert("[x](javascript:alert(1)) ![i](http://a.b/c.png) <img src=x onerror=alert(1)> $x$")
    assert not re.search(r"(?<!\\)(\]\(|!\[|<img|\$x)", markdown)
    assert shown(markdown).startswith("[x](javascript:alert(1))")


def test_bare_urls_and_addresses_are_not_linkable() -> None:
    markdown = inert("see https://evil.example/p, www.evil.example or me@evil.example")
    assert "://" not in markdown.replace("\\", "") and "www." not in markdown.replace("\\", "")
    assert "@e" not in markdown


def test_line_breaks_and_paragraphs_are_kept() -> None:
    assert inert("one\ntwo\n\nthree") == "one  \ntwo\n\nthree"


def test_highlight_wraps_each_line_of_the_span() -> None:
    markdown = highlighted("first line\nsecond line\nthird", 6, 17)
    assert markdown == "first :orange-background[line]  \n:orange-background[second] line  \nthird"


def test_highlight_of_an_empty_span_is_plain_text() -> None:
    assert highlighted("abc", 2, 2) == inert("abc")


def test_answer_markers_stand_out_and_the_rest_is_escaped() -> None:
    markdown = answer_markdown("According to the articles: “*yes*” [1] and [2]")
    assert markdown.count(":blue-background[**\\[") == 2
    assert "\\*yes\\*" in markdown


CITATION = {
    "n": 2,
    "source": "/data/a.txt",
    "title": "A [title](x)",
    "date": "2025-12-03",
    "outlet": None,
    "text": "Intro. The quote here. Outro.",
    "quote": "The quote here.",
    "start": 100,
    "end": 129,
    "quote_start": 107,
    "quote_end": 122,
}


def test_source_label_shows_number_title_date_and_file() -> None:
    label = source_label(CITATION)
    assert label.startswith(":blue-background[**\\[2\\]**] ")
    assert shown(label.split("] ", 1)[1]) == "A [title](x) · 2025-12-03 · a.txt"


def test_cited_passage_highlights_the_quote() -> None:
    assert cited_passage(CITATION) == "Intro\\. :orange-background[The quote here\\.] Outro\\."


def test_article_shades_the_passage_and_highlights_the_quote() -> None:
    article = "x" * 100 + CITATION["text"] + " Next paragraph."
    markdown = article_markdown(article, CITATION)
    assert ":gray-background[Intro\\. ]:orange-background[The quote here\\.]:gray-background[ Outro\\.]" in markdown
    assert shown(re.sub(r":[a-z-]+\[|\]", "", markdown.replace("\\]", "").replace("\\[", ""))) == article


def test_article_that_changed_since_indexing_is_shown_unmarked() -> None:
    assert article_markdown("a different text entirely" * 10, CITATION) == inert("a different text entirely" * 10)
