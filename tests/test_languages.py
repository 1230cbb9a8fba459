"""The language table (rag/languages.py): every entry complete, unknown languages neutral, and
French and German articles answered in their own language beside the Italian corpus."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

import rag
from rag.dates import relative_periods
from rag.language import answer_kinds, content_words, detect_language, names, numbers_in
from rag.languages import LANGUAGES, MONEY, NEUTRAL, QUESTION_KINDS, language
from rag.planning import analyse_question
from tests.conftest import copy_corpus

DATA = Path(__file__).parent / "data"
LYON = "lyon-tramway.txt"
HAMBURG = "hamburg-hafen.txt"
TENERIFE = "tenerife-incendio.txt"


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_entry_has_what_every_module_reads(code: str) -> None:
    entry = language(code)
    assert entry.code == code and entry.name and entry.stemmer
    assert len(entry.stopwords) > 100  # a maintained list, not a handful typed here
    assert entry.abbreviations and entry.speech_verbs and entry.say_words and entry.follow_up_words
    assert set(entry.question_words) == set(QUESTION_KINDS)
    assert entry.answer_frame and entry.abstention and "{name}" in entry.say_question and entry.boilerplate
    assert entry.source_headings
    assert entry.part_openers and entry.and_words and entry.amount_words and entry.number_words and entry.reason_words
    # Every relative phrase is one dateparser reads in this language ("last week" -> a week).
    assert entry.relative_dates
    for phrase in entry.relative_dates:
        assert relative_periods(f"… {phrase} …", code, dt.date(2009, 6, 10)), phrase


def test_each_language_answers_in_its_own_words() -> None:
    assert len({entry.answer_frame for entry in LANGUAGES.values()}) == len(LANGUAGES)
    assert len({entry.abstention for entry in LANGUAGES.values()}) == len(LANGUAGES)


def test_an_unknown_language_is_neutral_and_never_crashes() -> None:
    assert language("sw") is NEUTRAL and language(None) is NEUTRAL
    assert NEUTRAL.stemmer is None and not NEUTRAL.stopwords
    assert content_words("Rais alisema mazungumzo yalikuwa mazuri", "sw") == [
        "rais",
        "alisema",
        "mazungumzo",
        "yalikuwa",
        "mazuri",
    ]
    facts = analyse_question("Rais Ruto alisema nini?", "sw")
    assert facts.names == ("Ruto",) and facts.asks == ()


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Qu'a dit Bruno Bernard sur le tramway ?", "fr"),
        ("¿Qué dijo el alcalde sobre el tranvía?", "es"),
        ("Was hat Melanie Leonhard über den Hafen gesagt?", "de"),
        ("O que disse Lula sobre a reforma?", "pt"),
        # Too few words for langid alone; their stopwords tie between table languages.
        ("E la Russia?", "it"),
        ("Ma Zelensky?", "it"),
        ("Who won the election?", "en"),
    ],
)
def test_short_questions_in_the_other_languages_are_recognised(question: str, lang: str) -> None:
    assert detect_language(question) == lang


def test_german_common_nouns_are_not_names() -> None:
    text = "Die Wirtschaftssenatorin Melanie Leonhard sagte, die Bauarbeiten im Hafen würden sich verzögern."
    assert names(text, "de") == ["Melanie", "Leonhard"]
    # The same capitals in a language that does not capitalise nouns stay names.
    assert "Bauarbeiten" in names(text, "it")
    facts = analyse_question("Was hat Leonhard über die Verzögerung gesagt?", "de")
    assert facts.names == ("Leonhard",) and facts.speaker == "Leonhard"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who is Kirill Dmitriev?", "who"),
        ("Quanti punti ha il piano?", "how_many"),
        ("Combien coûtera la ligne ?", "how_much"),
        ("¿Cuándo abrirá la línea?", "when"),
        ("Warum verzögert sich der Bau?", "why"),
        ("Dove si incontreranno gli inviati?", "where"),
        # An amount asked for by its worth, a date asked for as such.
        ("What was the offer from the Canadian company worth?", "how_much"),
        ("Quale data si sperava per la consegna?", "when"),
        ("Welches Datum nannte die Bahn für die Eröffnung?", "when"),
        # A duration is an amount of time.
        ("How long was the A380 in the air on its first flight?", "how_much"),
        ("Wie lange dauerte der Flug?", "how_much"),
    ],
)
def test_question_kind_comes_from_the_table(question: str, kind: str) -> None:
    asks = analyse_question(question, detect_language(question)).asks
    assert tuple(k for k in asks if k != MONEY) == (kind,)


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("How much did Fiat end up paying for the 6% stake?", True),
        ("What was the offer from the Canadian company worth?", True),
        ("Quanto costa la versione base del portatile?", True),
        ("Combien coûtera la ligne ?", True),
        ("Wie viel hat die Bahn für die Strecke bezahlt?", True),
        # An amount that is no price: a fall, a length of time.
        ("How much did the Dow fall on Monday?", False),
        ("Wie lange dauerte der Flug?", False),
        # A price no other question word asks for; not who paid, nor what someone said of a value.
        ("What were the US prices of the two iPod nano models?", True),
        ("Qual era il valore complessivo dei cinque aerei?", True),
        ("Who paid for the new line?", False),
        ("Which company paid for the new line?", False),
        ("What did Obama say about the value of the dollar?", False),
        # Time is spent too.
        ("How much time did the crew spend on board?", False),
    ],
)
def test_a_how_much_question_about_a_price_asks_for_money(question: str, money: bool) -> None:
    asks = analyse_question(question, detect_language(question)).asks
    assert (MONEY in asks) is money, asks


@pytest.mark.parametrize(
    ("sentence", "lang", "held", "not_held"),
    [
        ("Saturn dispone di 350 rivenditori negli Stati Uniti.", "it", {"how_many"}, {"how_much", "why"}),
        ("GM ha perso 4,8 miliardi di dollari nel 2005.", "it", {"how_many", "how_much", "when"}, {"why"}),
        ("The first planes will be delivered in 2014.", "en", {"when"}, {"how_many"}),
        ("Die Firma will sich auf vier Marken konzentrieren.", "de", {"how_many"}, {"when"}),
        ("Les prix ont baissé à cause de la concurrence.", "fr", {"why"}, {"how_many"}),
        ("El índice cayó un 3% el lunes.", "es", {"how_much", "when"}, set()),
        # Articles are no numbers, a lone "por" no amount, a modal "may" no date.
        ("Il a rencontré un ministre à Paris.", "fr", set(), {"how_many", "when"}),
        ("Vendieron 40 coches por la tarde.", "es", {"how_many"}, {"how_much"}),
        ("You may see 3 ministers there.", "en", {"how_many"}, {"when"}),
        # A model name is no count; numbers after a capitalised word still are, and years dates.
        ("Il velivolo supera l'A380 e l'MP3.", "it", set(), {"how_many"}),
        ("Apple ha venduto in Italia 300 mila copie.", "it", {"how_many"}, set()),
        ("The deal was signed in January 2009 by the board.", "en", {"when"}, set()),
        ("Die Bahn will im Jahr 2012 die Strecke eröffnen.", "de", {"when"}, set()),
        ("Il volo di prova è durato quattro ore.", "it", {"how_much"}, {"when"}),
        ("Le vol a duré trois heures.", "fr", {"how_much"}, set()),
        # A sum of money is an amount in a currency; a percent or points are none.
        ("Il prestito è di 85 miliardi di dollari.", "it", {"how_much", MONEY}, set()),
        ("Apple sells it for $199.", "en", {"how_much", MONEY}, set()),
        ("La società ridurrà i costi del 30%.", "it", {"how_much"}, {MONEY}),
        ("Der DAX verlor 120 Punkte.", "de", {"how_much"}, {MONEY}),
        # A clock time or a model name with a hyphen counts nothing.
        ("Il velivolo è decollato alle 18:00 dalla pista.", "it", set(), {"how_many"}),
        ("The C-17 is still built in California.", "en", set(), {"how_many"}),
        ("L'indice è sceso del 2.62 per cento.", "it", {"how_many", "how_much"}, set()),
        ("Il modello A380-800 è in vendita.", "it", set(), {"how_many"}),
    ],
)
def test_sentences_hold_kinds_of_answer_by_the_table(sentence: str, lang: str, held: set, not_held: set) -> None:
    kinds = answer_kinds(sentence, lang)
    assert held <= kinds and not (not_held & kinds), kinds


def test_a_number_the_question_states_is_no_answer() -> None:
    sentence = "Boeing ha presentato il nuovo 787 Dreamliner a Everett."
    assert "how_many" in answer_kinds(sentence, "it")
    assert "how_many" not in answer_kinds(sentence, "it", frozenset({"787"}))
    assert "how_many" in answer_kinds("Il 787 conta 677 ordini.", "it", frozenset({"787"}))
    # Numbers are read whole: "12,000" is not "12" and "000".
    assert numbers_in("Il Dow a 10.769,00 punti, 12,000 posti, l'A380 e il 2,62%") == {"10.769,00", "12,000", "2,62"}
    assert "how_many" in answer_kinds("GM cuts 8,000 jobs.", "en", frozenset({"12,000"}))
    # The question's dates are none of its numbers: "lost 22 points" answers "on 22 January 2008".
    facts = analyse_question("How many points did the Dow lose on 22 January 2008?", "en")
    assert facts.numbers == frozenset() and "how_many" in answer_kinds("It lost 22 points.", "en", facts.numbers)


def test_months_weekdays_and_possessives_are_no_names() -> None:
    assert names("In January 2005 Boeing's rival and General Motors' losses", "en") == ["Boeing", "General", "Motors"]
    assert names("Lunedì 23 febbraio il Dow Jones è sceso", "it") == ["Dow", "Jones"]
    assert names("Am Montag, 3. Dezember, sprach Merz", "de") == ["Merz"]
    assert names("How much did Japan's economy shrink in the April-June quarter?", "en") == ["Japan"]
    assert names("How much did Japan's economy shrink in the April–June quarter?", "en") == ["Japan"]
    # A name that runs on into a month or weekday keeps it.
    assert names("What did Theresa May say on Black Monday?", "en") == ["Theresa", "May", "Black", "Monday"]


@pytest.fixture(scope="module")
def multilingual_chain(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("multilingual")
    corpus = copy_corpus(root / "corpus")
    for name in (LYON, HAMBURG, TENERIFE):
        shutil.copy(DATA / name, corpus / name)
    settings = rag.Settings(persist_dir=root / "store", progress=False)
    rag.ingest([corpus], settings)
    return rag.build_chain(settings)


@pytest.mark.parametrize(
    ("question", "article", "frame", "words"),
    [
        ("Qu'a dit Bruno Bernard sur le retard des travaux ?", LYON, "D'après les articles :", "six mois de retard"),
        ("Pourquoi le chantier du tramway a-t-il pris du retard ?", LYON, "D'après les articles :", "vestiges romains"),
        ("Was kritisierte die Hafenwirtschaft?", HAMBURG, "Laut den Artikeln:", "schweren Rückschlag"),
        (
            "Was hat Melanie Leonhard über die Verzögerung gesagt?",
            HAMBURG,
            "Laut den Artikeln:",
            "um ein Jahr verzögern",
        ),
    ],
)
def test_articles_answer_in_their_own_language(
    multilingual_chain: Any, question: str, article: str, frame: str, words: str
) -> None:
    result = multilingual_chain.invoke({"question": question, "chat_history": []})
    assert not result["abstained"], result["answer"]
    assert result["answer"].startswith(frame)
    cited = [c for c in result["citations"] if c["source"].endswith(article)]
    assert cited and any(words in c["quote"] for c in cited), result["citations"]
    for citation in result["citations"]:
        assert citation["quote"] in citation["text"] and f"{citation['quote']} [{citation['n']}]" in result["answer"]


@pytest.mark.parametrize(
    ("question", "article", "quote"),
    [
        # A sentence that a Spanish question follows ("... hectáreas. ¿La causa?") ends before it.
        ("¿Cuántas hectáreas ha quemado el incendio?", TENERIFE, "El fuego ha quemado ya más de 3.800 hectáreas."),
        # A German quotation („...“) with a full stop inside is one sentence.
        (
            "Was sagte Leonhard vor der Bürgerschaft?",
            HAMBURG,
            "„Wir haben den Boden unterschätzt. Das kostet uns ein ganzes Jahr“, sagte Leonhard vor der Bürgerschaft.",
        ),
    ],
)
def test_quotes_are_sentences_as_each_language_writes_them(
    multilingual_chain: Any, question: str, article: str, quote: str
) -> None:
    result = multilingual_chain.invoke({"question": question, "chat_history": []})
    assert any(c["source"].endswith(article) and c["quote"] == quote for c in result["citations"]), result["answer"]


def test_a_french_question_the_articles_do_not_answer_abstains_in_french(multilingual_chain: Any) -> None:
    result = multilingual_chain.invoke({"question": "Qu'a dit Emmanuel Macron sur les retraites ?", "chat_history": []})
    assert result["abstained"] and result["citations"] == []
    assert result["answer"] == language("fr").abstention
