"""Query planning: question analysis, follow-ups and search queries (rag/planning.py)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from rag.language import detect_language
from rag.llm import ChatBackend
from rag.planning import HeuristicPlanner, LLMPlanner, SearchQuery, analyse_question, standalone_query


def test_question_analysis_finds_names_and_speaker() -> None:
    facts = analyse_question("What did Yuri Ushakov say about Donbas?", "en")
    assert facts.names == ("Yuri", "Ushakov", "Donbas")
    assert facts.speaker == "Ushakov"
    assert analyse_question("Describe the talks", "en").names == ()
    # A capitalised first word may be a name or an imperative: it is kept apart, never required.
    assert analyse_question("Describe the talks", "en").first_name == "Describe"
    boeing = analyse_question("Boeing had counted on the tanker contract: how many jobs did it promise?", "en")
    assert (boeing.names, boeing.first_name) == ((), "Boeing")
    assert analyse_question("What did Putin say?", "en").first_name is None
    assert analyse_question("Chi è Dmitriev?", "it").speaker is None


def test_a_follow_up_borrows_the_names_of_the_latest_user_turn() -> None:
    history = [("user", "Chi è Yuri Ushakov?"), ("assistant", "Secondo gli articoli: l'assistente di Putin. [1]")]
    assert standalone_query("E cosa ha detto sui territori?", history, "it") == (
        "E cosa ha detto sui territori? Yuri Ushakov, Putin",
        "Chi è Yuri Ushakov?",
    )
    # The answer's names (not the words that open it) follow the question's, apart: whose words
    # "what did he say" asks for is still the person the user named.
    assert analyse_question(standalone_query("E cosa ha detto sui territori?", history, "it")[0], "it").speaker == (
        "Ushakov"
    )
    # "The first one", "the other" lean on the conversation too.
    unveiled = [
        ("user", "Which new long-range Boeing airliner was unveiled in February 2005?"),
        ("assistant", "The 777."),
    ]
    assert standalone_query("Which airline is due to get the first one, and when?", unveiled, "en")[0].endswith(
        "Boeing"
    )
    # "Which bank ...?" is answered with a name: "its shares" in the next question means it.
    bank = [
        ("user", "Which FTSE 100 bank saw its shares collapse on 7 October 2008?"),
        ("assistant", "HBOS, whose shares fell 41.54% to close the session at 94 [1]."),
    ]
    assert standalone_query("And how did its shares do next?", bank, "en")[0] == (
        "And how did its shares do next? FTSE, HBOS"
    )
    # The latest answer; of a quoted one, not the words capitalised because they open a sentence.
    rose = [*bank, ("user", "And which one rose?"), ("assistant", "Lloyds TSB [1].")]
    assert standalone_query("And how did its shares do next?", rose, "en")[0].endswith("FTSE, Lloyds TSB")
    quoted = [
        ("user", "Chi è Yuri Ushakov?"),
        ("assistant", "Secondo gli articoli: Inizialmente il Cremlino tace. [1]"),
    ]
    assert standalone_query("E cosa ha detto?", quoted, "it")[0] == "E cosa ha detto? Yuri Ushakov, Cremlino"
    # A question naming its own subject, or one with no history, is left alone.
    assert standalone_query("Cosa ha detto Peskov?", history, "it") == ("Cosa ha detto Peskov?", "")
    assert standalone_query("E cosa ha detto sui territori?", [], "it") == ("E cosa ha detto sui territori?", "")


def test_a_follow_up_keeps_the_conversations_period_as_a_preference() -> None:
    history = [
        ("user", "Which Russian airline agreed in June 2007 to buy Boeing 787 Dreamliners?"),
        ("assistant", "Aeroflot."),
    ]
    plan = HeuristicPlanner().plan(
        "When is it due to receive the first of those planes?", history, ("it",), deadline=0.0
    )
    assert [(p.start, p.end, p.asked) for p in plan.facts.periods] == [(20070601, 20070710, False)]
    # A day it names without a year is in the conversation's year, and asked.
    bank = [("user", "Which FTSE 100 bank collapsed on 7 October 2008?"), ("assistant", "HBOS [1].")]
    day = HeuristicPlanner().plan("And how did its shares do on 13 October?", bank, ("it",), deadline=0.0)
    assert [(p.start, p.asked) for p in day.facts.periods] == [(20081012, True)]
    # A follow-up that names its own period keeps it.
    own = HeuristicPlanner().plan("And how many did it order in 2009?", history, ("it",), deadline=0.0)
    assert [p.start for p in own.facts.periods] == [20090101]


def test_heuristic_plan_searches_the_question_in_its_own_language() -> None:
    plan = HeuristicPlanner().plan("What did Ushakov say about territory?", [], ("it",), deadline=0.0)
    assert plan.lang == "en" and plan.facts.speaker == "Ushakov"
    assert plan.searches == (SearchQuery("What did Ushakov say about territory?", "en"),)


class Translator(BaseChatModel):
    """Answers a translation request with the target language's name and the question."""

    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "translator"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any) -> ChatResult:
        time.sleep(self.delay)
        target = re.search(r"into (\w+)", str(messages[0].content))
        reply = f"({target.group(1) if target else '?'}) {messages[-1].content}"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def test_llm_plan_translates_into_every_other_corpus_language_at_once() -> None:
    model = Translator(delay=1.0)
    planner = LLMPlanner(ChatBackend("fake", model, model), timeout=9)
    started = time.monotonic()
    plan = planner.plan("What did Ushakov say?", [], ("de", "en", "it"), deadline=time.monotonic() + 9)
    # Both translations were asked together: one delay, not two.
    assert time.monotonic() - started < 1.8
    assert plan.searches == (
        SearchQuery("What did Ushakov say?", "en"),
        SearchQuery("(German) What did Ushakov say?", "de"),
        SearchQuery("(Italian) What did Ushakov say?", "it"),
    )


def test_llm_plan_too_slow_keeps_the_heuristic_plan() -> None:
    model = Translator(delay=3)
    planner = LLMPlanner(ChatBackend("fake", model, model), timeout=1.5)
    started = time.monotonic()
    plan = planner.plan("What did Ushakov say?", [], ("it",), deadline=time.monotonic() + 1.5)
    assert time.monotonic() - started < 1.2  # a third of the time, not the model's three seconds
    assert plan.searches == (SearchQuery("What did Ushakov say?", "en"),)


def test_a_two_part_question_is_split_where_and_opens_a_second_question() -> None:
    facts = analyse_question(
        "How many dealerships does Saturn have across the US, and how many people work at them?", "en"
    )
    assert [part.text for part in facts.parts] == [
        "How many dealerships does Saturn have across the US",
        "and how many people work at them?",
    ]
    # Each part keeps the whole question's names and dates, and asks its own kind of answer.
    assert all(part.names == ("Saturn",) and part.asks == ("how_many",) for part in facts.parts)
    dated = analyse_question("How many orders did Airbus have in January 2005, and how many did it need?", "en")
    assert dated.parts[1].periods == dated.periods and len(dated.periods) == 1
    # ... and its numbers: "787" in the first part is no answer to the second.
    model = analyse_question("How many orders did the 787 have in 2007, and how many in 2009?", "en")
    assert model.numbers == frozenset({"787"}) and model.parts[1].numbers == model.numbers
    italian = analyse_question("Quanto costa la versione base di quel portatile e quanto è spesso?", "it")
    assert len(italian.parts) == 2
    # Two questions in one message are two parts, each cut again where "and" opens another.
    asked_twice = analyse_question(
        "Which airline gets the first one, and when? Who is the other launch customer?", "en"
    )
    assert [part.text for part in asked_twice.parts] == [
        "Which airline gets the first one, and when?",
        "Who is the other launch customer?",
    ]
    assert [part.asks for part in asked_twice.parts] == [("when",), ("who",)]
    # A statement before the questions sets the scene; it asks nothing. One after a question goes with it.
    scene_then_two = analyse_question("Boeing had counted on the jobs. How many did it promise? Who got them?", "en")
    assert [part.text for part in scene_then_two.parts] == ["How many did it promise?", "Who got them?"]
    tail = analyse_question("Who is the first customer? Who is the other? Boeing Worldliner", "en")
    assert [part.text for part in tail.parts] == ["Who is the first customer?", "Who is the other? Boeing Worldliner"]
    # A question mark inside a quotation ends no question; a message without any still splits at "and".
    quoted = analyse_question("Who said “Why not? We can” at the summit, and how many agreed?", "en")
    assert [part.text for part in quoted.parts] == ["Who said “Why not? We can” at the summit", "and how many agreed?"]
    unmarked = analyse_question("How many orders did Airbus have, and how many did it need", "en")
    assert [part.text for part in unmarked.parts] == ["How many orders did Airbus have", "and how many did it need"]
    scene_set = analyse_question("The rescue died in the Senate. What was the tally, and how far short was it?", "en")
    assert [part.text for part in scene_set.parts] == ["What was the tally", "and how far short was it?"]
    # ... nor does it in a one-part question: the letter's "when" asks no date, Gallois is the speaker.
    letter = analyse_question("Airbus sent a letter when the 787 was unveiled. What did Louis Gallois say in it?", "en")
    assert (letter.asks, letter.speaker) == ((), "Gallois")
    # ... in Spanish, whose questions open with "¿", and in French, which sets "?" and "»" off with spaces.
    spanish = analyse_question("El BCE subió los tipos cuando habló. ¿Qué dijo Lagarde? ¿Cuántos votaron?", "es")
    assert [part.text for part in spanish.parts] == ["¿Qué dijo Lagarde?", "¿Cuántos votaron?"]
    french = analyse_question("La BCE a parlé quand les taux ont monté. « Qu'a dit Lagarde ? »", "fr")
    assert (french.asks, french.speaker, french.names) == ((), "Lagarde", ("BCE", "Lagarde"))
    german = analyse_question("Der Senat wollte wissen, wann der Bau beginnt. „Was sagte Leonhard?“", "de")
    assert (german.asks, german.speaker) == ((), "Leonhard")
    # "and" inside one question ("a song and an album") does not split it, nor Italian "è" (is).
    assert analyse_question("What would a single song and an album cost on iTunes?", "en").parts == ()
    assert analyse_question("Perché la crisi è come quella del 1929?", "it").parts == ()


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did Patty Murray, the senator from Washington, say about the deal?", "Murray"),
        ("Che cosa ha detto Harry Reid, leader della maggioranza al Senato, dopo il voto?", "Reid"),
        ("After the Dow's swings, what did economist Peter Cardillo of Avalon Partners say?", "Cardillo"),
        ("What did Obama say when he visited Berlin?", "Obama"),
        # An owner is no speaker: the minister speaks, not Indonesia.
        ("What did Indonesia's transport minister Jusman Syafii Djamal say about Airbus?", "Djamal"),
        ("What did Apple’s CEO Steve Jobs say about the iPhone?", "Jobs"),
        ("What did General Motors' chief Rick Wagoner say about the loss?", "Wagoner"),
        # ... unless only the owner is named before the verb.
        ("What did Apple's chief executive say about Google?", "Apple"),
        # A question for a number is no question for someone's words.
        ("How many sales did Airbus say it needed to break even?", None),
    ],
)
def test_the_speaker_is_the_first_name_after_the_question_word(question: str, speaker: str | None) -> None:
    assert analyse_question(question, detect_language(question)).speaker == speaker


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("Quante copie di Mac OS X Lion ha venduto Apple?", "copie"),
        ("How many dealerships does Saturn have?", "dealerships"),
        ("Wie viele Mitarbeiter hat das Werk?", "mitarbeiter"),
        ("Quanto costa il gas?", None),
    ],
)
def test_a_how_many_question_says_what_it_counts(question: str, counted: str | None) -> None:
    assert analyse_question(question, detect_language(question)).counted == counted


def test_a_language_without_how_many_words_counts_nothing() -> None:
    assert analyse_question("Hoeveel banen zijn er bij de fabriek?", "nl").counted is None


@pytest.mark.parametrize(
    ("question", "lang", "asks"),
    [
        ("When Airbus showed off the A380 in January 2005, how many orders did it have?", "en", ("how_many",)),
        ("Quando Airbus ha presentato l'A380, quanti ordini aveva?", "it", ("how_many",)),
        ("¿Cuándo Airbus presentó el A380, ¿cuántos pedidos tenía?", "es", ("how_many",)),
        # ... also with a question word that asks for no kind of answer.
        ("When Tim Cook took over in August 2011, which companies had he worked for?", "en", ()),
        ("When Obama visited Berlin, where did he speak?", "en", ("where",)),
        # A "when" with its verb right after asks, and what follows the comma is a relative clause.
        ("When did Lehman file for bankruptcy, which was the largest in US history?", "en", ("when",)),
        ("Quando è morto Steve Jobs, che aveva fondato Apple?", "it", ("when",)),
        # Questions that ask when, or ask it in a clause of their own.
        ("When did Airbus show off the A380, and who came?", "en", ("when", "who")),
        ("When and where did Airbus show off the A380?", "en", ("when", "where")),
        ("Who ran Airbus? When did the A380 fly?", "en", ("who", "when")),
        ("¿Desde cuándo vuela el A380?", "es", ("when",)),
        ("D'où vient l'A380 ?", "fr", ("where",)),
        # Inside a clause another question word opened, "when" asks nothing.
        ("Which Macs came first when they arrived in 2006?", "en", ()),
        ("Who ran Airbus when the A380 flew?", "en", ("who",)),
        ("Quante persone sono morte quando il ponte è crollato?", "it", ("how_many",)),
        # An "and" inside the clause joins words, not questions; one right before "when" asks again.
        ("What did Young say about costs and revenue when GM reported its loss?", "en", ()),
        ("Cosa ha detto Young sui costi e sui ricavi quando GM ha annunciato le perdite?", "it", ()),
        # Right after a comma that closes a question, "when" opens a relative clause.
        ("How much did the Nikkei fall on 27 October 2008, when it sank to its lowest level?", "en", ("how_much",)),
        ("E quante canzoni risultavano nell'aprile 2008, quando iTunes ha superato Wal-Mart?", "it", ("how_many",)),
        # A time clause after a comma, then the main clause: "a quale prezzo" asks for money.
        (
            "Nel settembre 2007, quando ha presentato i nuovi iPod, a quale prezzo Apple ha tagliato l'iPhone?",
            "it",
            ("how_much", "money"),
        ),
        ("In 2008, when did Lehman fail?", "en", ("when",)),
        # After a comma with no date before it, a "when" with its verb right after still asks.
        ("According to Boeing, when will the 787 fly, how many orders does it have?", "en", ("when", "how_many")),
        ("Who won the contract, and when?", "en", ("who", "when")),
        ("Who won the contract and when?", "en", ("who", "when")),
        ("Who has led Airbus and since when?", "en", ("who", "when")),
        ("Qui dirige Airbus et depuis quand ?", "fr", ("who", "when")),
    ],
)
def test_a_question_opened_by_a_time_clause_asks_what_its_main_clause_asks(
    question: str, lang: str, asks: tuple[str, ...]
) -> None:
    assert analyse_question(question, lang, split=False).asks == asks


def test_a_country_is_a_name_of_its_own_not_part_of_a_longer_one() -> None:
    facts = analyse_question("Did Japan, the United States and Air France agree with Chad Hurley?", "en")
    assert [place.name for place in facts.places] == ["japan", "united states"]
    # A part of a two-part question keeps the whole's places, as it keeps its names.
    whole = analyse_question("How much did Japan's economy shrink, and when did it recover?", "en")
    assert whole.parts and all(part.places == whole.places for part in whole.parts)
