"""Near-duplicate wire stories: indexed once, the copy recorded, its outlet named in citations."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

import rag
from rag.duplicates import DUPLICATE_THRESHOLD, DuplicateIndex, body_text, signature
from rag.loading import LoadedDocument, load_file
from rag.store import open_store
from tests.news_site import BEATLES, NEWS, Article, NewsSite, wire_copy


def as_file(tmp_path: Path, name: str, title: str, date: str, paragraphs: tuple[str, ...]) -> LoadedDocument:
    path = tmp_path / name
    path.write_text("\n\n".join([f"{title}\n{date}", *paragraphs]) + "\n", encoding="utf-8")
    return load_file(path)


def test_an_edited_copy_reaches_the_threshold_and_a_same_topic_story_does_not(tmp_path: Path) -> None:
    original = load_file(NEWS / BEATLES)
    copy = wire_copy(Article.read(BEATLES))
    edited = as_file(tmp_path, "copy.txt", copy.title, copy.date, copy.paragraphs)
    other_apple = load_file(NEWS / "apple-191597.txt")
    similarity = signature(body_text(original)).jaccard(signature(body_text(edited)))
    unrelated = signature(body_text(original)).jaccard(signature(body_text(other_apple)))
    assert similarity >= DUPLICATE_THRESHOLD > unrelated


def test_the_index_finds_the_original_and_forgets_it(tmp_path: Path) -> None:
    duplicates = DuplicateIndex(tmp_path / "d.sqlite")
    original = load_file(NEWS / BEATLES)
    duplicates.add(original)
    copy = wire_copy(Article.read(BEATLES))
    edited = as_file(tmp_path, "copy.txt", copy.title, copy.date, copy.paragraphs)
    assert duplicates.original_of(edited) == original.source
    assert duplicates.original_of(original) is None  # an article is not a copy of itself
    assert duplicates.original_of(load_file(NEWS / "apple-191597.txt")) is None
    duplicates.record_copy(edited, original.source)
    copies = DuplicateIndex(tmp_path / "d.sqlite").copies_of([original.source, "elsewhere.txt"])
    assert {source: [c.source for c in found] for source, found in copies.items()} == {original.source: [edited.source]}
    duplicates.forget(original.source)
    assert duplicates.original_of(edited) is None and duplicates.copies_of([original.source]) == {}


def test_fold_keeps_the_first_of_two_copies_and_writes_all_or_nothing(tmp_path: Path) -> None:
    original = load_file(NEWS / BEATLES)
    copy = wire_copy(Article.read(BEATLES))
    edited = as_file(tmp_path, "copy.txt", copy.title, copy.date, copy.paragraphs)
    failing = DuplicateIndex(tmp_path / "failed.sqlite")
    # An article that cannot be read stops the fold after the first was remembered: nothing stays.
    with pytest.raises(AttributeError):
        failing.fold([original, cast(LoadedDocument, None)], indexed=set())
    assert failing.original_of(edited) is None
    assert DuplicateIndex(tmp_path / "failed.sqlite").original_of(edited) is None

    duplicates = DuplicateIndex(tmp_path / "d.sqlite")
    unique, copies = duplicates.fold([original, edited], indexed=set())
    assert unique == [original] and copies == [(edited.source, original.source)]
    reopened = DuplicateIndex(tmp_path / "d.sqlite")
    assert reopened.original_of(edited) == original.source
    assert [c.source for c in reopened.copies_of([original.source])[original.source]] == [edited.source]
    # An article indexed before is indexed again as itself, not as a copy.
    assert duplicates.fold([edited], indexed={edited.source}) == ([edited], [])


def test_a_republished_wire_story_is_indexed_once_and_cited_with_both_outlets(
    news_site: NewsSite, web_settings: rag.Settings
) -> None:
    original, copy = f"{news_site.url}/wire/beatles.html", f"{news_site.url}/altro/beatles-copia.html"
    first = rag.ingest([original], web_settings)
    second = rag.ingest([copy], web_settings)
    assert first.added == (original,)
    assert second.added == () and second.duplicates == ((copy, original),)
    assert f"{copy}: duplicate of {original}, not indexed again" in second.lines()
    assert {a.source for a in rag.index_status(web_settings).articles} == {original}
    result = rag.build_chain(web_settings).invoke(
        {"question": "Perché Apple Corps ha fatto causa ad Apple Computer?", "chat_history": []}
    )
    citation = result["citations"][0]
    assert (citation["source"], citation["outlet"]) == (original, "Agenzia Uno")
    assert [(c["outlet"], c["url"]) for c in citation["also_in"]] == [("Quotidiano Due", copy)]


def test_copies_in_one_batch_and_removing_the_original(news_site: NewsSite, web_settings: rag.Settings) -> None:
    original, copy = f"{news_site.url}/wire/beatles.html", f"{news_site.url}/altro/beatles-copia.html"
    report = rag.ingest([original, copy], web_settings)
    assert report.added == (original,) and report.duplicates == ((copy, original),)
    rag.remove([original], web_settings)
    assert open_store(web_settings).duplicates.copies_of([original]) == {}
    assert rag.ingest([copy], web_settings).added == (copy,)  # the story is back, from the other outlet


def test_articles_that_read_alike_months_apart_are_different_stories(tmp_path: Path) -> None:
    text = ("Acme ha registrato un utile di 5 milioni di dollari nel trimestre, ha detto il gruppo. " * 3,)
    duplicates = DuplicateIndex(tmp_path / "d.sqlite")
    march = as_file(tmp_path, "marzo.txt", "Acme presenta i conti", "3 marzo 2008", text)
    duplicates.add(march)
    assert (
        duplicates.original_of(as_file(tmp_path, "giugno.txt", "Acme presenta i conti", "2 giugno 2008", text)) is None
    )
    next_day = as_file(tmp_path, "copia.txt", "I conti di Acme", "4 marzo 2008", text)
    assert duplicates.original_of(next_day) == march.source
