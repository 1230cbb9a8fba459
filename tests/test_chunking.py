"""Sentence splitting and chunking: exact slices, segment bounds, overlap, coverage (rag/chunking.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rag
from rag.chunking import Chunk, chunk_document, split_sentences
from rag.loading import LoadedDocument, LoadError, build_document, load_file


def sentences_of(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


# --- sentences ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expected",
    [
        ["Ha detto: “Va bene. Grazie”.", "Poi è partito per Roma."],
        ["Disse: «Non c'è accordo. Serve altro lavoro».", "Poi Ushakov è uscito."],
        ["“Non c'è accordo. Serve altro lavoro”, ha detto Ushakov.", "Poi è uscito."],
        ["Ushakov said: “We discussed territory. There is no deal.”", "Then he left."],
        ['He said "Stop. Now go." to the guards.', "Then he left."],
        # An opening mark that closes the quotation, as translated news often write it.
        ["“Dobbiamo affrontare sfide difficili “.", "Una differenza importante è il peso."],
        ["Sarà uno dei nostri giorni più grandi. “", "Ralph Crosby ha commentato l'accordo."],
        # Marks set off with spaces, as French writes them, still open and close.
        ["Il a déclaré : « Nous avons discuté. Il n'y a pas d'accord. »", "Puis il est parti."],
        ["Ha detto: “ Va bene. Grazie ”.", "Poi è partito per Roma."],
    ],
    ids=[
        "it-curly",
        "it-guillemets",
        "it-quote-first",
        "en-curly",
        "en-straight",
        "misused-mark",
        "misused-mark-after",
        "fr-spaced-guillemets",
        "it-spaced-curly",
    ],
)
def test_quotation_with_inner_full_stop_stays_one_sentence(expected: list[str]) -> None:
    assert sentences_of(" ".join(expected)) == expected


@pytest.mark.parametrize(
    "expected",
    [
        ["Il Sig. Rossi e il Dott. Bianchi sono arrivati.", "Poi sono ripartiti."],
        ["Mr. Smith left the U.S. Embassy with Dr. Jones.", "Then it rained."],
        ["Ha parlato con J. Kushner e S. Witkoff a Mosca.", "Poi è partito."],
        ["Il PIL è cresciuto dell'1.5 per cento nel 2024.", "Lo dice l'Istat."],
        ["The meeting began at 3.30 and cost 2.5 million dollars.", "Nobody left early."],
        ["Who are you?", "I am here!", "Bene…", "Andiamo."],
    ],
    ids=["it-titles", "en-titles", "initials", "it-decimal", "en-decimal", "punctuation"],
)
def test_abbreviations_initials_and_decimals_do_not_end_sentences(expected: list[str]) -> None:
    assert sentences_of(" ".join(expected)) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["The share is up 82% from 9 months ago.", "Jobs said so."]),
        ("en", ["Days after Sen. McCain spoke, the Air Force agreed.", "Then it rained."]),
        ("de", ["Er sagte es.", "Dann ging er."]),
        ("it", ["Hanno guadagnato il 10 per cento circa.", "Tale rialzo è arrivato dopo."]),
        ("it", ["L'accordo è del 3 ago. 2024 e lo firma il Sig. Rossi.", "Poi è partito."]),
    ],
)
def test_a_texts_own_language_says_which_words_are_abbreviations(lang: str, expected: list[str]) -> None:
    """Italian "ago." (agosto) and "es." (esempio) end no sentence; English "ago." and German "es." do."""
    text = " ".join(expected)
    assert [text[s.start : s.end] for s in split_sentences(text, lang=lang)] == expected


def test_initial_at_start_of_paragraph_is_not_a_sentence() -> None:
    expected = ["J. D. Vance è arrivato a Roma.", "Poi è partito."]
    assert sentences_of(" ".join(expected)) == expected


def test_newlines_end_sentences_and_spans_are_trimmed() -> None:
    text = "  Prima frase.\nSeconda riga senza punto\n\n   Terza.  "
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Prima frase.", "Seconda riga senza punto", "Terza."]


@pytest.mark.parametrize(
    "expected",
    [
        ["El banco subió los tipos.", "¿Qué dijo Lagarde?", "¿Y cuándo habló?", "¡Nunca!", "Luego se fue."],
        ["Il est parti.", "« Nous partons », a-t-il ajouté.", "Puis il a parlé."],
        ["Er ging.", "„Wir gehen“, sagte er.", "Dann sprach er."],
        ["Er sagte: „Das ist gut. Wir gehen.“", "Dann ging er."],
        ["„Das ist gut. Wir gehen“, sagte er.", "Dann ging er."],
        ["Die „Bild“-Zeitung schrieb darüber.", "Dann ging er."],
    ],
    ids=[
        "es-inverted-marks",
        "fr-spaced-guillemets-open",
        "de-low-quote-opens",
        "de-quote-ends",
        "de-quote-first",
        "de-quote-closes-before-hyphen",
    ],
)
def test_sentences_open_and_quote_as_each_language_writes(expected: list[str]) -> None:
    assert sentences_of(" ".join(expected)) == expected


def test_split_sentences_stays_inside_the_given_range() -> None:
    text = "Fuori. Dentro uno. Dentro due. Fuori ancora."
    start = text.index("Dentro uno")
    end = text.index(" Fuori ancora")
    spans = split_sentences(text, start, end)
    assert [text[s.start : s.end] for s in spans] == ["Dentro uno.", "Dentro due."]
    assert all(start <= s.start < s.end <= end for s in spans)


# --- chunks of the corpus -------------------------------------------------------------------------


@pytest.fixture
def corpus_docs(corpus_dir: Path) -> list[LoadedDocument]:
    return [load_file(path) for path in sorted(corpus_dir.glob("*.txt"))]


def test_corpus_chunks_are_exact_slices_of_the_file(corpus_docs: list[LoadedDocument]) -> None:
    defaults = rag.Settings()
    assert len(corpus_docs) == 2
    for doc in corpus_docs:
        chunks = chunk_document(doc, defaults.chunk_chars, defaults.chunk_overlap_sentences)
        assert len(chunks) > 3
        on_disk = Path(doc.source).read_text()
        for position, chunk in enumerate(chunks):
            assert on_disk[chunk.start : chunk.end] == chunk.text
            assert chunk.index == position
            assert chunk.text == chunk.text.strip()


def test_corpus_chunks_never_hold_boilerplate_nor_mix_captions(corpus_docs: list[LoadedDocument]) -> None:
    fox = next(d for d in corpus_docs if "fox-news" in d.source)
    assert fox.dropped_lines, "the Fox article has boilerplate to drop"
    for doc in corpus_docs:
        chunks = chunk_document(doc)
        captions = [doc.text[s.start : s.end] for s in doc.segments if s.kind == "caption"]
        for chunk in chunks:
            for line in doc.dropped_lines:
                assert line not in chunk.text
            segment = containing_segment(doc, chunk)
            assert segment.kind == chunk.kind
            if chunk.kind == "caption":
                assert chunk.text in captions
            else:
                assert not any(caption in chunk.text or chunk.text in caption for caption in captions)
    fox_kinds = [c.kind for c in chunk_document(fox)]
    assert fox_kinds.count("caption") == 3


def containing_segment(doc: LoadedDocument, chunk: Chunk):
    holders = [s for s in doc.segments if s.start <= chunk.start and chunk.end <= s.end]
    assert len(holders) == 1, f"chunk {chunk.index} is not inside exactly one segment"
    return holders[0]


# --- overlap --------------------------------------------------------------------------------------

PARAGRAPH = " ".join(
    f"Frase numero {n} del lungo paragrafo sui colloqui di Mosca tra le delegazioni." for n in range(1, 11)
)


def test_consecutive_chunks_share_one_sentence_with_overlap_one() -> None:
    doc = build_document("overlap.txt", PARAGRAPH + "\n")
    sentences = {(s.start, s.end) for s in split_sentences(doc.text)}
    chunks = chunk_document(doc, target_chars=250, overlap_sentences=1)
    assert len(chunks) >= 3
    for previous, following in itertools.pairwise(chunks):
        assert following.start < previous.end, "consecutive chunks overlap"
        shared = (following.start, previous.end)
        assert shared in sentences, "the shared text is exactly one whole sentence"
        assert previous.text.endswith(doc.text[following.start : previous.end])
        assert following.text.startswith(doc.text[following.start : previous.end])
        assert following.end > previous.end, "chunks move forward"


def test_no_overlap_gives_disjoint_chunks_covering_the_paragraph() -> None:
    doc = build_document("overlap.txt", PARAGRAPH + "\n")
    chunks = chunk_document(doc, target_chars=250, overlap_sentences=0)
    assert len(chunks) >= 3
    for previous, following in itertools.pairwise(chunks):
        assert following.start > previous.end
        assert not doc.text[previous.end : following.start].strip()
    assert chunks[0].start == 0 and chunks[-1].end == len(PARAGRAPH)


def test_more_overlap_means_more_chunks() -> None:
    doc = build_document("overlap.txt", PARAGRAPH + "\n")
    counts = [len(chunk_document(doc, target_chars=250, overlap_sentences=n)) for n in (0, 1, 2)]
    assert counts[0] < counts[1] < counts[2]


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    sentence = " ".join(["parola"] * 200) + "."
    doc = build_document("long.txt", sentence + "\n")
    chunks = chunk_document(doc, target_chars=100, overlap_sentences=0)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert set(chunk.text.replace(".", "").split()) == {"parola"}
    assert "".join(c.text for c in chunks).replace(" ", "") == sentence.replace(" ", "")


def test_long_token_without_spaces_loses_no_characters() -> None:
    token = "".join(chr(ord("a") + i % 26) for i in range(400))
    doc = build_document("token.txt", f"Indirizzo: {token} fine.\n")
    chunks = chunk_document(doc, target_chars=80, overlap_sentences=0)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and i not in covered]
    assert missing == []


# --- properties -----------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "il",
        "la",
        "Cremlino",
        "Putin",
        "Witkoff",
        "Kushner",
        "Ushakov",
        "territori",
        "colloqui",
        "accordo",
        "piano",
        "punti",
        "Mosca",
        "the",
        "talks",
        "territory",
        "deal",
        "envoy",
        "Moscow",
        "said",
        "ha",
        "detto",
        "che",
        "non",
        "Sig.",
        "Dott.",
        "Mr.",
        "U.S.",
        "3.5",
        "27",
        "J.",
        "«utili»",
        "“costruttivi”",
        "(ANSA)",
        "l’incontro",
        "„Wir“",
        "¿qué?",
        "« oui »",
    ]
)


def _capitalised(text: str) -> str:
    return text[0].upper() + text[1:]


_SENTENCE = st.builds(
    lambda words, end, quoted: ("“%s%s”" if quoted else "%s%s") % (_capitalised(" ".join(words)), end),
    st.lists(_WORDS, min_size=1, max_size=18),
    st.sampled_from([".", "!", "?", "…", "", "."]),
    st.booleans(),
)
_LINE = st.one_of(
    st.lists(_SENTENCE, min_size=1, max_size=6).map(" ".join),
    st.sampled_from(["CLICCA QUI PER SCARICARE L’APP", "Iscriviti alla newsletter", "Listen to this article"]),
    _SENTENCE.map(lambda s: f"{s} (Foto AP/Getty Images)"),
)


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=8),
    separator=st.sampled_from(["\n", "\n\n", "\n \n"]),
    target=st.integers(min_value=80, max_value=600),
    overlap=st.integers(min_value=0, max_value=3),
)
def test_chunks_are_slices_inside_one_segment_and_cover_all_kept_text(
    lines: list[str], separator: str, target: int, overlap: int
) -> None:
    text = separator.join(lines) + "\n"
    try:
        doc = build_document("random.txt", text)
    except LoadError as exc:
        assert "no article text" in str(exc)  # nothing but boilerplate: nothing to chunk
        return
    chunks = chunk_document(doc, target_chars=target, overlap_sentences=overlap)

    covered: set[int] = set()
    for position, chunk in enumerate(chunks):
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.index == position
        assert chunk.text.strip() == chunk.text != ""
        assert len(chunk.text) <= 2 * target
        segment = containing_segment(doc, chunk)
        assert chunk.kind == segment.kind
        covered.update(range(chunk.start, chunk.end))
    for segment in doc.segments:
        for i in range(segment.start, segment.end):
            assert doc.text[i].isspace() or i in covered, f"{doc.text[i]!r} at {i} is in no chunk"
    # By each line's place in the text (a kept line may hold a dropped one's words: "(ANSA)"): a
    # dropped line is in no chunk, and every sentence of a kept line is covered.
    assert doc.text == text
    line_start = 0
    for line in lines:
        line_end = line_start + len(line)
        if line in doc.dropped_lines:
            assert not any(chunk.start < line_end and line_start < chunk.end for chunk in chunks)
        else:
            assert all(i in covered for i in range(line_start, line_end) if not doc.text[i].isspace())
        line_start = line_end + len(separator)
