"""Language detection, name skeletons, character n-grams and stemming (rag/language.py)."""

from __future__ import annotations

import pytest
import Stemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.language import (
    char_grams,
    content_words,
    detect_language,
    fold,
    name_key,
    name_keys,
    names,
    place_named,
    proper_names,
    stem,
    stems,
)


@pytest.mark.parametrize(
    "question",
    [
        "What did Ushakov say about territory?",
        "Who is Kirill Dmitriev?",
        "Where will Zelensky meet the envoys?",
        "How many points does the plan have?",
    ],
)
def test_short_english_questions_are_english(question: str) -> None:
    assert detect_language(question) == "en"


@pytest.mark.parametrize(
    "question",
    [
        "Cosa ha detto Ushakov sui territori?",
        "Chi è Kirill Dmitriev?",
        "Dove si incontreranno gli inviati?",
        "Quanti punti ha il piano?",
    ],
)
def test_short_italian_questions_are_italian(question: str) -> None:
    assert detect_language(question) == "it"


def test_longer_texts_are_told_apart() -> None:
    english = (
        "The Kremlin said the talks with the American envoys were useful, but no compromise was found on territory."
    )
    italian = "Il Cremlino ha detto che i colloqui con gli inviati americani sono stati utili, ma sui territori non c'è accordo."
    assert detect_language(english) == "en"
    assert detect_language(italian) == "it"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Zelensky", "Zelenskyj"), ("Zelensky", "Zelenskiy"), ("Kyiv", "Kiev"), ("Kupiansk", "Kupyansk")],
)
def test_transliteration_variants_share_a_name_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Putin", "Peskov"), ("Kyiv", "Kharkiv"), ("Witkoff", "Kushner"), ("Ushakov", "Umerov"), ("Zelensky", "Zaluzhny")],
)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_name_keys_of_a_text_match_across_spellings() -> None:
    english = "Witkoff will meet Zelensky in Kyiv."
    italian = "Witkoff incontrerà Zelenskyj a Kiev."
    assert set(name_keys(english, "en")) == set(name_keys(italian, "it"))
    assert name_key("Zelensky") in name_keys(english, "en")


def test_char_grams_link_territory_and_territori() -> None:
    english, italian = set(char_grams("territory", "en")), set(char_grams("territori", "it"))
    shared = english & italian
    # The common prefix "territor" gives several grams; the endings stay apart.
    assert len(shared) >= 4
    assert english != italian
    assert not set(char_grams("territory", "en")) & set(char_grams("Kushner", "en"))


def test_char_grams_skip_stopwords_and_pad_short_words() -> None:
    assert char_grams("the EU", "en") == ["<eu>"]
    assert all(len(g) == 4 for g in char_grams("the Kremlin", "en"))
    assert char_grams("2025", "en") == ["2025"]


def test_italian_stemmer_conflates_italian_inflections() -> None:
    # The Italian stemmer maps singular and plural to one stem; the English one does not.
    assert len(set(stems("territorio territori", ("it",)))) == 1
    assert len(set(stems("territorio territori", ("en",)))) == 2
    assert len(set(stems("negoziato negoziati", ("it",)))) == 1


def test_stems_use_the_snowball_stemmer_of_the_language() -> None:
    italian = Stemmer.Stemmer("italian")
    for word in ["negoziati", "territoriali", "colloqui", "costruttivi"]:
        assert stem(word, "it") == italian.stemWord(word)
        assert stems(word, ("it",)) == [italian.stemWord(word)]
    # A query in two languages gets both stems of a word when they differ.
    both = stems("negotiations", ("it", "en"))
    assert Stemmer.Stemmer("english").stemWord("negotiations") in both


def test_content_words_fold_accents_and_drop_stopwords() -> None:
    words = content_words("Il Cremlino è già d'accordo con la proposta", "it")
    assert words == [fold(w) for w in ["Cremlino", "già", "accordo", "proposta"]]


@pytest.mark.parametrize("stopword", ["perché", "però", "più"])
def test_accented_italian_stopwords_are_dropped(stopword: str) -> None:
    assert content_words(f"{stopword} Cremlino", "it") == ["cremlino"]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzàáèéìíòóùúçñäöüšžč", min_size=1, max_size=20))
def test_name_key_ignores_case_and_accents(word: str) -> None:
    assert name_key(word) == name_key(word.upper()) == name_key(fold(word))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghilmnoprstuvzàèéìòù", min_size=5, max_size=15))
def test_char_grams_are_pieces_of_the_padded_word(word: str) -> None:
    for gram in char_grams(word, "it"):
        assert gram in f"<{fold(word)}>"


def test_a_country_has_its_names_in_every_table_language() -> None:
    japan = place_named("Japan")
    assert japan is not None and {"giappone", "japon", "japao"} <= japan.names
    assert japan.named_in("Il Giappone è entrato in recessione.") and not japan.named_in("La Cina cresce.")
    united_states = place_named("Stati Uniti")
    assert united_states is not None and united_states.named_in("the United States and the USA")
    # A whole phrase: "Stato" and "Unito" are no "Stati Uniti".
    assert not united_states.named_in("Lo Stato ha unito le forze")
    # Common names CLDR's standard ones miss come from the table; pseudo-regions are none.
    assert place_named("Turkey") is not None and place_named("Côte d'Ivoire") is not None
    assert place_named("Pseudo-Accents") is None and place_named("Ushakov") is None


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        # A word capitalised because it opens a sentence names no one, unless the text repeats it.
        ("Inizialmente la Fiat nominerà tre membri.", "it", ["Fiat"]),
        ("Il futuro è incerto. Tuttavia Fiat resta.", "it", ["Fiat"]),
        ("Ha detto: “Tuttavia Fiat resta”.", "it", ["Fiat"]),
        ("Fiat compra. Poi Fiat vende.", "it", ["Fiat", "Fiat"]),
        ("¿Cuándo vuela Airbus?", "en", ["Airbus"]),
        # An abbreviation or an initial ends no sentence; a quoted name mid-sentence is a name.
        ("Mr. Henderson took over from Rick Wagoner.", "en", ["Henderson", "Rick", "Wagoner"]),
        ("The order was signed by J. Smith.", "en", ["Smith"]),
        ("Il posto è andato a “Henderson” ieri.", "it", ["Henderson"]),
    ],
)
def test_proper_names_leave_out_sentence_openers(text: str, lang: str, found: list[str]) -> None:
    assert proper_names(text, lang) == found


def test_a_stopword_after_an_elision_is_no_name() -> None:
    text = "La BCE a parlé. « Qu'a dit Lagarde ? Qu'est-ce que L'Aquila ? »"
    assert names(text, "fr") == ["BCE", "Lagarde", "L'Aquila"]
