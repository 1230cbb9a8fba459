"""The chain: the documented contract, cited answers in both languages, abstention, follow-ups."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import rag
from rag.evaluation import judge_case, read_dataset
from tests.conftest import SHARED_EVAL

TERRITORY_GOLD = [
    "non ha trovato alcun compromesso possibile sui territori sotto controllo russo",
    "Abbiamo discusso soprattutto delle questioni territoriali",
]


def assert_contract(result: dict[str, Any]) -> None:
    assert set(result) >= {"answer", "citations", "abstained", "mode", "warnings"}
    assert result["mode"] == "extractive"
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert markers == {c["n"] for c in result["citations"]}
    for citation in result["citations"]:
        assert set(citation) >= {"n", "source", "title", "date", "text", "quote", "start", "end"}
        assert citation["quote"] and citation["quote"] in citation["text"]
        assert citation["quote"] in result["answer"]


@pytest.mark.parametrize(
    ("question", "frame"),
    [
        ("What did Ushakov say about territory?", "According to the articles:"),
        ("Cosa ha detto Ushakov sui territori?", "Secondo gli articoli:"),
    ],
)
def test_ushakov_on_territory_quotes_both_articles(chain: Any, question: str, frame: str) -> None:
    result = chain.invoke({"question": question, "chat_history": []})
    assert_contract(result)
    assert not result["abstained"] and result["answer"].startswith(frame)
    quotes = " ".join(c["quote"] for c in result["citations"])
    for gold in TERRITORY_GOLD:
        assert gold in quotes
    assert len({c["source"] for c in result["citations"]}) == 2


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case["id"]) for case in read_dataset(SHARED_EVAL / "seed_qa_dev.json")["cases"]],
)
def test_seed_questions_pass(chain: Any, case: dict[str, Any]) -> None:
    history = [tuple(turn) for turn in case.get("history", [])]
    result = chain.invoke({"question": case["question"], "chat_history": history})
    assert_contract(result)
    assert judge_case(case, result) is None, (case["id"], result["answer"])


@pytest.mark.parametrize(
    ("question", "abstention"),
    [
        ("What did Erdogan say about the talks?", "I couldn't find this in the articles."),
        ("Quanto costa il gas in Europa?", "Non ho trovato questa informazione negli articoli."),
        ("Who won the 2018 World Cup?", "I couldn't find this in the articles."),
    ],
)
def test_abstains_and_cites_nothing(chain: Any, question: str, abstention: str) -> None:
    result = chain.invoke({"question": question, "chat_history": []})
    assert result["abstained"] and result["citations"] == []
    assert result["answer"] == abstention  # in the question's language


def test_follow_up_uses_history(chain: Any) -> None:
    history = [
        ("user", "What did Zelenskyj say?"),
        ("assistant", "He said Umerov and Hnatov will prepare the meeting."),
    ]
    result = chain.invoke({"question": "Where will they go first?", "chat_history": history})
    assert not result["abstained"]
    assert any("Bruxelles" in c["quote"] for c in result["citations"])


@pytest.mark.parametrize("question", ["", "   \n\t ", None])
def test_empty_question_is_refused(chain: Any, question: Any) -> None:
    with pytest.raises(rag.QuestionError):
        chain.invoke({"question": question, "chat_history": []})


def test_very_long_question_is_cut_with_a_warning(chain: Any) -> None:
    question = "What did Ushakov say about territory? " + "blah " * 300_000
    result = chain.invoke({"question": question, "chat_history": []})
    assert any("cut" in w for w in result["warnings"])


def test_control_characters_and_other_scripts_do_not_break(chain: Any) -> None:
    for question in ["Ushakov\x00\x1b[31m territori?", "Что сказал Ушаков? 🤔", "乌沙科夫说了什么"]:
        result = chain.invoke({"question": question, "chat_history": []})
        assert_contract(result)


def test_filters_restrict_citations(chain: Any, shared_store: rag.Settings) -> None:
    fox = next(a.source for a in rag.index_status(shared_store).articles if a.outlet == "Fox News")
    result = chain.invoke(
        {"question": "What did Ushakov say about territory?", "chat_history": [], "filters": {"sources": [fox]}}
    )
    assert result["citations"] and {c["source"] for c in result["citations"]} == {fox}


def test_stream_batch_and_async_agree(chain: Any) -> None:
    payload = {"question": "Who is Kirill Dmitriev?", "chat_history": []}
    whole = chain.invoke(payload)
    pieces = list(chain.stream(payload))
    assert len(pieces) > 1 and "citations" in pieces[0]
    assert "".join(p.get("answer", "") for p in pieces) == whole["answer"]
    assert [r["answer"] for r in chain.batch([payload, payload])] == [whole["answer"]] * 2
    assert asyncio.run(chain.ainvoke(payload))["answer"] == whole["answer"]

    async def collect() -> str:
        return "".join([p.get("answer", "") async for p in chain.astream(payload)])

    assert asyncio.run(collect()) == whole["answer"]


def test_and_what_did_he_say_next_brings_new_quotes(chain: Any) -> None:
    first = chain.invoke({"question": "What did Ushakov say about territory?", "chat_history": []})
    history = [("user", "What did Ushakov say about territory?"), ("assistant", first["answer"])]
    result = chain.invoke({"question": "And what did he say next?", "chat_history": history})
    assert_contract(result)
    assert not result["abstained"]
    new_quotes = [c["quote"] for c in result["citations"] if c["quote"] not in first["answer"]]
    assert new_quotes and all("Ushakov" in c["text"] for c in result["citations"])


def write_dated(folder: Path, name: str, date_line: str, profit: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f"Acme presenta i conti del trimestre\n{date_line}\n\n"
        f"Acme ha registrato un utile di {profit} di dollari nel trimestre, ha detto il gruppo. "
        "L'amministratore delegato Mario Rossi si è detto soddisfatto dei conti presentati a Milano.\n",
        encoding="utf-8",
    )


def test_the_period_a_question_names_prefers_the_article_published_then(settings: rag.Settings, tmp_path: Path) -> None:
    news = tmp_path / "news"
    write_dated(news, "marzo.txt", "3 marzo 2008", "5 milioni")
    write_dated(news, "giugno.txt", "2 giugno 2009", "9 milioni")
    rag.ingest([news], settings)
    chain = rag.build_chain(settings)

    for question, source in [
        ("Quanto ha guadagnato Acme nel trimestre, nel giugno 2009?", "giugno.txt"),
        ("Quanto ha guadagnato Acme nel trimestre, nel marzo 2008?", "marzo.txt"),
    ]:
        out = chain.invoke({"question": question, "chat_history": []})
        assert out["citations"][0]["source"].endswith(source), out
    # "Last week" is the week before the newest article's: the one published then is preferred.
    write_dated(news, "giugno-bis.txt", "12 giugno 2009", "11 milioni")
    rag.ingest([news], settings)
    chain = rag.build_chain(settings)
    out = chain.invoke({"question": "Quanto ha guadagnato Acme nel trimestre la settimana scorsa?", "chat_history": []})
    assert out["citations"][0]["source"].endswith("giugno.txt"), out
    # Nothing was published in the named period: the articles cannot say.
    out = chain.invoke({"question": "Quanto ha guadagnato Acme nel trimestre, nel gennaio 2015?", "chat_history": []})
    assert out["abstained"] and not out["citations"]
    out = chain.invoke({"question": "Quanto ha guadagnato Acme nel trimestre del 2012?", "chat_history": []})
    assert out["abstained"] and not out["citations"]
    # A year that a word follows is what the news is about, or a count: a preference only.
    out = chain.invoke(
        {"question": "Quanto ha guadagnato Acme nel trimestre dopo la crisi del 2012 a Milano?", "chat_history": []}
    )
    assert not out["abstained"], out


def test_each_part_of_a_two_part_question_is_retrieved_and_quoted(settings: rag.Settings, tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "conti.txt").write_text(
        "Acme presenta i conti\n3 marzo 2008\n\nAcme ha registrato un utile di 5 milioni di dollari nel trimestre. "
        "Il gruppo ha sede a Torino e produce biciclette elettriche per il mercato europeo.\n",
        encoding="utf-8",
    )
    (news / "vertice.txt").write_text(
        "Acme cambia vertice\n10 aprile 2008\n\nIl consiglio di Acme ha nominato Giulia Bianchi nuova "
        "amministratrice delegata del gruppo. Bianchi guidava in precedenza la divisione vendite a Milano.\n",
        encoding="utf-8",
    )
    rag.ingest([news], settings)
    question = "Quanto ha guadagnato Acme nel trimestre, e chi è stata nominata amministratrice delegata?"
    # One passage for the whole question: the second part's answer comes from its own search.
    out = rag.build_chain(settings).invoke({"question": question, "chat_history": [], "k": 1})
    assert "5 milioni" in out["answer"] and "Giulia Bianchi" in out["answer"], out["answer"]
    assert {c["source"].rsplit("/", 1)[-1] for c in out["citations"]} == {"conti.txt", "vertice.txt"}


def test_a_part_that_names_its_own_subject_is_searched_without_the_whole_questions_names(
    settings: rag.Settings, tmp_path: Path
) -> None:
    # The 30 Apple articles of the shared news: the whole question's names (WWDC, Steve Jobs)
    # would pull the second part's search back to the WWDC article.
    news = tmp_path / "news"
    news.mkdir()
    for article in sorted((SHARED_EVAL.parent / "news" / "it").glob("apple-*.txt")):
        (news / article.name).write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    rag.ingest([news], settings)
    question = (
        "At WWDC 2005, which long-running chip partnership did Steve Jobs say Apple would end by moving to "
        "Intel, and which two computers were the first Intel-based Macs when they arrived in January 2006?"
    )
    out = rag.build_chain(settings).invoke({"question": question, "chat_history": []})
    assert any(str(c.get("date", "")).startswith("2006-01") for c in out["citations"]), out
