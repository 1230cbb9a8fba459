"""Loading files into documents: metadata, boilerplate, captions, formats and bad input (rag/loading.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.loading import (
    LoadedDocument,
    LoadError,
    Segment,
    build_document,
    discover,
    is_boilerplate,
    is_caption,
    load_file,
)

DATED = "2025-12-03-putin-witkoff-cremlino.txt"
FOX = "fox-news-putin-witkoff-kushner.txt"
FOX_BOILERPLATE = ("NUOVOOra puoi ascoltare gli articoli di Fox News!", "CLICCA QUI PER SCARICARE L’APP FOX NEWS")


def segment_texts(doc: LoadedDocument, kind: str | None = None) -> list[str]:
    return [doc.text[s.start : s.end] for s in doc.segments if kind is None or s.kind == kind]


def assert_well_formed(doc: LoadedDocument) -> None:
    """Every segment is a non-empty, trimmed, in-bounds slice; segments are ordered and disjoint."""
    previous_end = 0
    for segment in doc.segments:
        assert 0 <= segment.start < segment.end <= len(doc.text)
        assert segment.start >= previous_end, f"{segment} overlaps the previous segment"
        assert segment.kind in {"title", "body", "caption"}
        piece = doc.text[segment.start : segment.end]
        assert piece.strip(), "empty segment"
        previous_end = segment.end


# --- the corpus -----------------------------------------------------------------------------------


def test_dated_article_header_gives_date_and_title(corpus_dir: Path) -> None:
    path = corpus_dir / DATED
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    doc = load_file(path)

    assert doc.date == "2025-12-03"
    assert doc.title.startswith("Putin e l’inviato USA Steve Witkoff")
    assert first_line.strip() == f"date 2025-12-03 {doc.title}"
    # The title is its own segment, an exact slice without the "date ..." prefix.
    titles = segment_texts(doc, "title")
    assert titles == [doc.title]
    assert not any("date 2025" in t for t in segment_texts(doc))
    assert doc.lang == "it"
    assert doc.outlet is None  # no sidecar for this file
    assert doc.text == path.read_text(encoding="utf-8")
    assert_well_formed(doc)


def test_fox_article_drops_boilerplate_and_keeps_captions(corpus_dir: Path) -> None:
    path = corpus_dir / FOX
    raw_lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    for line in FOX_BOILERPLATE:
        assert line in raw_lines, "the fixture article should hold the boilerplate line"

    doc = load_file(path)

    assert set(doc.dropped_lines) == set(FOX_BOILERPLATE)
    for segment_text in segment_texts(doc):
        assert "puoi ascoltare" not in segment_text
        assert "CLICCA QUI" not in segment_text
    captions = segment_texts(doc, "caption")
    assert len(captions) == 3
    for caption in captions:
        assert caption in raw_lines, "a caption is one whole paragraph"
        assert caption.endswith(")")
    assert sum("Kazakov" in c for c in captions) == 2
    assert sum("Getty Images" in c for c in captions) == 1
    for body in segment_texts(doc, "body"):
        assert not any(c in body for c in captions)
    assert doc.lang == "it"
    assert doc.outlet == "Fox News"  # from the .meta.json sidecar
    assert doc.date is None
    assert doc.text == path.read_text(encoding="utf-8")
    assert_well_formed(doc)


def test_fox_article_keeps_every_other_paragraph(corpus_dir: Path) -> None:
    path = corpus_dir / FOX
    doc = load_file(path)
    kept = " ".join(segment_texts(doc))
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and line not in FOX_BOILERPLATE:
            assert line in kept


def test_sidecar_metadata_fills_in_and_bad_sidecar_is_ignored(tmp_path: Path) -> None:
    text = "Il Cremlino ha confermato l’incontro con gli inviati americani.\n"
    good = tmp_path / "good.txt"
    good.write_text(text, encoding="utf-8")
    good.with_name("good.txt.meta.json").write_text(
        json.dumps(
            {"outlet": "Agenzia Esempio", "url": "https://example.org/a", "date": "2025-12-02T10:00:00", "ignored": "x"}
        ),
        encoding="utf-8",
    )
    broken = tmp_path / "broken.txt"
    broken.write_text(text, encoding="utf-8")
    broken.with_name("broken.txt.meta.json").write_text("{not json", encoding="utf-8")

    doc = load_file(good)
    assert (doc.outlet, doc.url, doc.date) == ("Agenzia Esempio", "https://example.org/a", "2025-12-02")
    plain = load_file(broken)
    assert plain.outlet is None and plain.url is None
    assert segment_texts(plain) == segment_texts(doc)


# --- boilerplate rules ----------------------------------------------------------------------------

CALLS_TO_ACTION = [
    "Click here to read the full story",
    "Download the app for breaking news alerts",
    "Subscribe to our newsletter",
    "Listen to this article",
    "Follow us on Facebook and X",
    "Iscriviti alla newsletter del mattino",
    "Clicca qui per scaricare l'app",
    "Leggi anche: tutte le notizie sulla guerra",
    "Ora puoi ascoltare gli articoli",
    "Seguici su Instagram",
    "BREAKING NEWS FROM THE WHITE HOUSE",
    "ULTIME NOTIZIE DAL CREMLINO",
    "© Riproduzione riservata",
]

ORDINARY = [
    "Putin met Witkoff in Moscow on Tuesday.",
    "Il Cremlino ha detto che i colloqui sono stati utili.",
    "The NATO and EU leaders met in Brussels on Monday.",
    "Il presidente ha parlato con la NATO e l'UE a Bruxelles.",
    "Ushakov said no compromise was found on territory.",
    "L’obiettivo sarebbe condividere l’esito dei colloqui con Putin.",
    "Zelensky will travel to Washington next week.",
]


@pytest.mark.parametrize("line", CALLS_TO_ACTION)
def test_calls_to_action_and_shouting_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_sentences_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_long_paragraph_mentioning_an_app_is_kept() -> None:
    paragraph = (
        "Secondo il ministero, gli utenti che hanno deciso di scaricare l’app ufficiale del governo per "
        "ricevere gli allarmi aerei sono aumentati di oltre un milione nelle ultime due settimane di guerra, "
        "soprattutto nelle regioni orientali del paese."
    )
    assert not is_boilerplate(paragraph)


@pytest.mark.parametrize(
    "line",
    [
        "The company said its subscribers grew by ten percent.",
        "Netflix ha perso abbonati nel terzo trimestre.",
        "Sono stati registrati trenta attacchi nella notte.",
        "Le entrate della pubblicità sono calate del 5 per cento.",
    ],
)
def test_news_sentences_with_call_to_action_words_are_kept(line: str) -> None:
    assert not is_boilerplate(line)


def test_document_drops_boilerplate_lines_and_keeps_the_rest() -> None:
    lines = [ORDINARY[0], CALLS_TO_ACTION[0], ORDINARY[1], CALLS_TO_ACTION[5], ORDINARY[2], CALLS_TO_ACTION[10]]
    text = "\n\n".join(lines) + "\n"
    doc = build_document("made-up.txt", text)
    kept = segment_texts(doc)
    assert set(doc.dropped_lines) == {CALLS_TO_ACTION[0], CALLS_TO_ACTION[5], CALLS_TO_ACTION[10]}
    for line in ORDINARY[:3]:
        assert any(line in piece for piece in kept)
    for line in doc.dropped_lines:
        assert not any(line in piece for piece in kept)
    # A dropped line ends a body run: no segment spans across it.
    assert len(segment_texts(doc, "body")) == 3
    assert_well_formed(doc)


def test_captions_need_a_credit_in_parentheses() -> None:
    assert is_caption(
        "Putin riceve Witkoff al Cremlino il 2 dicembre 2025. (Alexander Kazakov, Sputnik, foto del Cremlino via AP)"
    )
    assert is_caption("Un furgone attraversa Kupiansk. (Wolfgang Schwan/Anadolu tramite Getty Images)")
    assert not is_caption("Il piano in 28 punti (poi ridotto) è stato criticato dai leader europei.")
    assert not is_caption("Putin ha incontrato gli inviati (Witkoff e Kushner)")


def test_only_boilerplate_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "promo.txt"
    path.write_text("\n".join(CALLS_TO_ACTION[:4]) + "\n", encoding="utf-8")
    with pytest.raises(LoadError, match="no article text"):
        load_file(path)


# --- formats --------------------------------------------------------------------------------------


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    path = tmp_path / "vertice.md"
    path.write_text(
        "---\n"
        "title: Vertice a Mosca\n"
        "date: 2025-12-02\n"
        "url: https://example.org/vertice\n"
        "outlet: Esempio Quotidiano\n"
        "---\n"
        "# Il vertice di Mosca\n"
        "\n"
        "Putin ha ricevuto gli inviati americani al Cremlino per cinque ore di colloqui.\n"
        "\n"
        "![Il Cremlino](cremlino.jpg)\n"
        "\n"
        "Ushakov ha detto che non c'è compromesso sui territori.\n",
        encoding="utf-8",
    )
    doc = load_file(path)

    assert doc.title == "Vertice a Mosca"
    assert doc.date == "2025-12-02"
    assert doc.url == "https://example.org/vertice"
    assert doc.outlet == "Esempio Quotidiano"
    assert doc.lang == "it"
    assert doc.text == path.read_text(encoding="utf-8")
    assert segment_texts(doc, "title") == ["Il vertice di Mosca"]
    bodies = segment_texts(doc, "body")
    assert any(b.startswith("Putin ha ricevuto") for b in bodies)
    assert any(b.startswith("Ushakov ha detto") for b in bodies)
    every = " ".join(segment_texts(doc))
    for hidden in ("outlet:", "https://example.org", "---", "cremlino.jpg", "#"):
        assert hidden not in every
    assert_well_formed(doc)


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("## Colloqui al Cremlino\n\nIl Cremlino ha confermato i colloqui con Witkoff.\n", encoding="utf-8")
    doc = load_file(path)
    assert doc.title == "Colloqui al Cremlino"
    assert doc.date is None
    assert segment_texts(doc, "body") == ["Il Cremlino ha confermato i colloqui con Witkoff."]


PARAGRAPH = (
    "Il consigliere del Cremlino Yuri Ushakov ha descritto i colloqui con gli inviati americani come utili e "
    "costruttivi, ma ha aggiunto che sulla questione dei territori non è stato trovato alcun compromesso tra le parti."
)
SECRETS = (
    "SCRIPTSECRET",
    "STYLESECRET",
    "HIDDENATTR",
    "DISPLAYNONE",
    "ARIAHIDDEN",
    "VISIBILITYHIDDEN",
    "NOSCRIPTSECRET",
)


def test_html_article_text_excludes_scripts_styles_and_hidden_elements(tmp_path: Path) -> None:
    hidden_tail = " testo nascosto che il lettore non vede mai sulla pagina, lungo abbastanza da sembrare un paragrafo."
    path = tmp_path / "articolo.html"
    path.write_text(
        f"""<!doctype html>
<html lang="it"><head><title>Colloqui al Cremlino</title>
<style>body {{ font-family: serif }} /* STYLESECRET */</style>
<script>var SCRIPTSECRET = "{PARAGRAPH}";</script>
</head><body>
<nav><a href="/">Home</a></nav>
<article>
<h1>Colloqui al Cremlino</h1>
<p>{PARAGRAPH}</p>
<p hidden>HIDDENATTR{hidden_tail}</p>
<p style="display: none">DISPLAYNONE{hidden_tail}</p>
<div aria-hidden="true"><p>ARIAHIDDEN{hidden_tail}</p></div>
<p style="visibility:hidden">VISIBILITYHIDDEN{hidden_tail}</p>
<p>{PARAGRAPH.replace("Yuri Ushakov", "Kirill Dmitriev")}</p>
<noscript>NOSCRIPTSECRET{hidden_tail}</noscript>
<script>document.write("SCRIPTSECRET")</script>
<p>{PARAGRAPH.replace("Yuri Ushakov", "Dmitry Peskov")}</p>
</article></body></html>""",
        encoding="utf-8",
    )
    doc = load_file(path)

    for secret in SECRETS:
        assert secret not in doc.text
    assert "font-family" not in doc.text and "document.write" not in doc.text
    assert PARAGRAPH in doc.text
    assert "Kirill Dmitriev" in doc.text and "Dmitry Peskov" in doc.text
    assert doc.title == "Colloqui al Cremlino"
    assert doc.lang == "it"
    assert_well_formed(doc)
    assert any(PARAGRAPH in piece for piece in segment_texts(doc))


def test_tiny_html_page(tmp_path: Path) -> None:
    path = tmp_path / "tiny.html"
    path.write_text(
        "<html><head><script>var SCRIPTSECRET=1</script><style>p{color:red} /*STYLESECRET*/</style></head>"
        "<body><p>Ciao mondo, una pagina piccola.</p><span hidden>HIDDENATTR</span>"
        '<span aria-hidden="true">ARIAHIDDEN</span></body></html>',
        encoding="utf-8",
    )
    doc = load_file(path)
    assert "Ciao mondo, una pagina piccola." in doc.text
    for secret in SECRETS:
        assert secret not in doc.text
    assert segment_texts(doc) and all(piece in doc.text for piece in segment_texts(doc))


@pytest.mark.parametrize("style", ["display:none", "display: none", "visibility:hidden"])
def test_tiny_html_page_drops_style_hidden_elements(tmp_path: Path, style: str) -> None:
    path = tmp_path / "tiny.html"
    path.write_text(
        f'<html><body><p>Ciao mondo, una pagina piccola.</p><p style="{style}">SEGRETO</p></body></html>',
        encoding="utf-8",
    )
    doc = load_file(path)
    assert "Ciao mondo" in doc.text
    assert "SEGRETO" not in doc.text


def test_html_without_text_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "vuota.html"
    path.write_text(
        "<html><head><script>var x = 1;</script></head><body><div hidden>nascosto</div></body></html>", encoding="utf-8"
    )
    with pytest.raises(LoadError, match="no article text"):
        load_file(path)


def test_crlf_text_offsets_match_read_text(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Prima riga del testo.\r\nSeconda riga del testo.\r\n")
    doc = load_file(path)
    assert doc.text == path.read_text(encoding="utf-8")
    assert segment_texts(doc, "body") == ["Prima riga del testo.\nSeconda riga del testo."]


# --- bad input ------------------------------------------------------------------------------------

ITALIAN = "Perché la città è già più tranquilla, disse il sindaco: però così non va. L’incontro durò “cinque ore”."


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_non_utf8_italian_text_is_decoded(tmp_path: Path, encoding: str) -> None:
    text = ITALIAN if encoding == "cp1252" else ITALIAN.replace("’", "'").replace("“", '"').replace("”", '"')
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes((text + "\n").encode(encoding))
    doc = load_file(path)
    assert doc.text == text + "\n"
    assert segment_texts(doc, "body") == [text]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "utf16.txt"
    data = (ITALIAN + "\n").encode(encoding)
    if encoding != "utf-16":  # utf-16 writes its own BOM
        data = ("\ufeff" + ITALIAN + "\n").encode(encoding)
    path.write_bytes(data)
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    doc = load_file(path)
    assert ITALIAN in doc.text
    assert segment_texts(doc, "body") == [ITALIAN]


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  \r\n"], ids=["empty", "whitespace"])
def test_empty_files_are_load_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(LoadError, match="empty"):
        load_file(path)


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n" + bytes((i * 37 + 11) % 256 for i in range(3000)),
        b"\x00" * 64 + b"abc",
    ],
    ids=["all-bytes", "png", "nul"],
)
def test_binary_named_txt_is_a_load_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(content)
    with pytest.raises(LoadError, match="binary"):
        load_file(path)


def test_file_over_the_size_cap_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Il Cremlino ha confermato i colloqui. " * 10, encoding="utf-8")
    size = path.stat().st_size
    with pytest.raises(LoadError, match="limit") as caught:
        load_file(path, max_bytes=size - 1)
    assert f"{size:,}" in str(caught.value)
    assert load_file(path, max_bytes=size).text == path.read_text(encoding="utf-8")


def test_missing_path_and_directory_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_file(tmp_path / "nope.txt")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(LoadError, match="cannot read"):
        load_file(folder)


def test_dangling_link_is_a_load_error(tmp_path: Path) -> None:
    # Works as root too, unlike a chmod 000 file, which root can still read.
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "gone.txt")
    with pytest.raises(LoadError, match="cannot read"):
        load_file(link)


def test_discover_names_unsupported_and_missing_paths(tmp_path: Path) -> None:
    folder = tmp_path / "articoli"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.md", "sub/c.html", "sub/d.HTM", "e.pdf", ".hidden.txt", "a.txt.meta.json"):
        (folder / name).write_text("Testo.", encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")

    files, skipped = discover([folder, pdf, tmp_path / "missing"])

    assert sorted(p.relative_to(folder).as_posix() for p in files) == ["a.txt", "b.md", "sub/c.html", "sub/d.HTM"]
    reasons = dict(skipped)
    assert set(reasons) == {str(pdf), str(tmp_path / "missing")}
    assert "unsupported" in reasons[str(pdf)] and ".pdf" in reasons[str(pdf)]
    assert "no such file" in reasons[str(tmp_path / "missing")]


# --- properties -----------------------------------------------------------------------------------

_LINE = st.one_of(
    st.text(min_size=0, max_size=80),
    st.sampled_from(
        ORDINARY + CALLS_TO_ACTION + ["# Titolo", "date 2025-12-03 Un titolo", "Foto. (AP Photo)", "  ", "\ufeff"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_LINE, min_size=1, max_size=12),
    separator=st.sampled_from(["\n", "\n\n", "\r\n", " \n"]),
    markdown=st.booleans(),
)
def test_segments_are_in_bounds_disjoint_slices(lines: list[str], separator: str, markdown: bool) -> None:
    text = separator.join(lines)
    try:
        doc = build_document("prop.txt", text, markdown=markdown)
    except LoadError as exc:
        assert "no article text" in str(exc)
        return
    assert doc.text == text
    assert_well_formed(doc)
    for segment in doc.segments:
        piece = text[segment.start : segment.end]
        assert piece == piece.strip(), "segments are trimmed"
        lines_of_piece = [line.strip() for line in piece.split("\n")]
        assert not set(doc.dropped_lines) & set(lines_of_piece), "a dropped line is inside a segment"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loading-prop")


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=400), suffix=st.sampled_from([".txt", ".md"]))
def test_loaded_files_index_their_read_text(scratch: Path, text: str, suffix: str) -> None:
    path = scratch / f"doc{suffix}"
    path.write_bytes(text.encode("utf-8"))
    try:
        doc = load_file(path)
    except LoadError as exc:
        assert any(word in str(exc) for word in ("empty", "binary", "no article text"))
        return
    assert doc.text == path.read_text(encoding="utf-8")
    assert_well_formed(doc)
    assert isinstance(doc.segments[0], Segment)


NEWS = Path(__file__).resolve().parents[2] / "shared" / "news" / "it"


def test_every_news_article_is_dated_and_titled_from_its_own_text() -> None:
    articles = sorted(NEWS.glob("*.txt"))
    assert len(articles) == 120
    for path in articles:
        doc = load_file(path)
        title, date_line = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:2]
        assert doc.title == title, path.name
        assert doc.date is not None and doc.date[:4] in date_line, (path.name, doc.date, date_line)
        # The title is indexed on its own; the date line is not body text.
        assert doc.segments[0].kind == "title" and doc.text[doc.segments[0].start : doc.segments[0].end] == title
        assert all(date_line not in doc.text[s.start : s.end] for s in doc.segments)


def test_title_and_date_lines_in_english_and_a_dateline(tmp_path: Path) -> None:
    english = tmp_path / "tanker.txt"
    english.write_text("Northrop wins tanker deal\nMarch 01, 2008\n\nThe Air Force chose Northrop on Friday.\n")
    doc = load_file(english)
    assert (doc.title, doc.date) == ("Northrop wins tanker deal", "2008-03-01")

    dateline = tmp_path / "manovra.txt"
    dateline.write_text("ROMA, 3 dicembre 2025 – Il governo ha approvato la manovra dopo un lungo consiglio.\n")
    assert load_file(dateline).date == "2025-12-03"


def test_a_date_inside_the_body_is_not_the_publication_date(tmp_path: Path) -> None:
    path = tmp_path / "storia.txt"
    path.write_text("La caduta del Muro\n\nIl 9 novembre 1989 cadde il Muro di Berlino.\n9 novembre 1989\n")
    assert load_file(path).date is None


def test_sidecar_date_and_title_win_over_the_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Titolo nel testo\n1 marzo 2008\n\nIl corpo dell'articolo, con abbastanza parole.\n")
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"title": "Titolo vero", "date": "2008-03-02"}))
    doc = load_file(path)
    assert (doc.title, doc.date) == ("Titolo vero", "2008-03-02")
