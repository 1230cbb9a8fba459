"""The chat page through Streamlit's AppTest: real chain, real store, real model."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

import rag
from tests.llm_server import cite, fake_llm_server
from tests.ui.conftest import CHECKOUT_APP

USHAKOV = "What did Ushakov say about territory?"
Open = Callable[..., AppTest]


def plain(markdown: str) -> str:
    """What a reader sees of escaped markdown: the text without its backslash escapes."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def ask(app: AppTest, question: str) -> AppTest:
    app.chat_input[0].set_value(question).run()
    assert not app.exception, app.exception
    return app


def answers(app: AppTest) -> list[str]:
    """The markdown of each assistant message, in order (answer first, then the sources)."""
    return ["\n".join(m.value for m in message.markdown) for message in app.chat_message if message.name == "assistant"]


def source_labels(app: AppTest) -> list[str]:
    return [m.value for m in app.main.markdown if m.value.startswith(":blue-background[**\\[")]


def test_ask_gives_an_answer_with_markers_tied_to_sources(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), USHAKOV)
    [answer] = answers(app)
    assert "According to the articles" in answer
    markers = {f":blue-background[**\\[{n}\\]**]" for n in range(1, 10)}
    cited = {m for m in markers if m in answer}
    assert cited and all(any(label.startswith(m) for label in source_labels(app)) for m in cited)
    assert ":orange-background[" in answer  # the quoted sentence is highlighted in its passage
    assert "territori" in answer
    assert any(b.label == "Read the whole article" for b in app.button)


def test_checkout_entry_point_draws_the_page_on_every_rerun(open_app: Open, shared_store: rag.Settings) -> None:
    """`ui/app.py` imports the page once per process, so it must call it again on each rerun."""
    app = open_app(shared_store, script=CHECKOUT_APP)
    assert [t.value for t in app.title] == ["Ask the articles"]
    app = ask(app, USHAKOV)  # a rerun
    assert [t.value for t in app.title] == ["Ask the articles"]
    assert {m.label for m in app.sidebar.metric} == {"Articles", "Passages"}
    assert "According to the articles" in answers(app)[0]


def test_whole_article_opens_with_the_passage_highlighted(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), USHAKOV)
    next(b for b in app.button if b.label == "Read the whole article").click().run()
    assert not app.exception
    article = max((m.value for m in app.markdown), key=len)
    assert ":gray-background[" in article or ":orange-background[" in article
    assert "Witkoff" in article and len(article) > 2000


def test_question_outside_the_articles_abstains_plainly(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), "Who won the 2018 World Cup?")
    [notice] = [plain(i.value) for i in app.info]
    assert "couldn't find this in the articles" in notice and "widening the filters" in notice
    assert not source_labels(app)


def test_follow_up_is_answered_from_the_conversation(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), "What did Zelenskyj say?")
    app = ask(app, "Where will they go first?")
    assert len(answers(app)) == 2
    assert "Bruxelles" in answers(app)[1]


def test_new_chat_empties_the_history(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), USHAKOV)
    next(b for b in app.button if b.label == "New chat").click().run()
    assert not app.chat_message
    assert any(b.key and b.key.startswith("example-") for b in app.button)


def test_example_question_is_asked_on_click(open_app: Open, shared_store: rag.Settings) -> None:
    app = open_app(shared_store)
    example = next(b for b in app.button if b.key and b.key.startswith("example-"))
    example.click().run()
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert source_labels(app)


def test_source_filter_limits_the_citations(open_app: Open, shared_store: rag.Settings) -> None:
    app = open_app(shared_store)
    fox = next(a.source for a in rag.index_status(shared_store).articles if a.outlet == "Fox News")
    app.sidebar.multiselect[0].set_value([fox]).run()
    app = ask(app, USHAKOV)
    labels = source_labels(app)
    assert labels and all(label.endswith("Fox News") for label in labels)


def test_date_filter_before_any_article_abstains(open_app: Open, shared_store: rag.Settings) -> None:
    import datetime as dt

    app = open_app(shared_store)
    app.sidebar.date_input[0].set_value((dt.date(2020, 1, 1), dt.date(2020, 12, 31))).run()
    app = ask(app, USHAKOV)
    assert app.info and "couldn't find" in plain(app.info[0].value)


def test_a_cut_question_shows_the_warning(open_app: Open, shared_store: rag.Settings) -> None:
    app = ask(open_app(shared_store), USHAKOV + " please" * 1000)
    assert any("cut to its first 2000 characters" in plain(w.value) for w in app.warning)


def test_sidebar_shows_the_index_status(open_app: Open, shared_store: rag.Settings) -> None:
    app = open_app(shared_store)
    metrics = {m.label: m.value for m in app.sidebar.metric}
    status = rag.index_status(shared_store)
    assert metrics == {"Articles": "2", "Passages": str(status.chunks)}
    caption = " ".join(c.value for c in app.sidebar.caption)
    assert status.embedding_model in plain(caption) and status.store in plain(caption)


def test_upload_then_ask_about_it_then_remove_it(open_app: Open, settings: rag.Settings, tmp_path: Path) -> None:
    app = open_app(settings)
    assert any("Nothing is indexed yet" in w.value for w in app.sidebar.warning)
    article = "Il sindaco di Trento Franco Ianeselli ha inaugurato il nuovo ponte sull'Adige, costato dodici milioni."
    app.sidebar.file_uploader[0].set_value(("ponte trento.txt", article.encode(), "text/plain"))
    next(b for b in app.sidebar.button if b.label == "Add to the index").click().run()
    assert not app.exception
    assert any("ponte-trento.txt: added" in plain(s.value) for s in app.success)
    assert (settings.persist_dir / "uploads" / "ponte-trento.txt").read_text() == article

    app = ask(app, "What did Franco Ianeselli inaugurate?")
    assert "ponte" in answers(app)[0] and any("ponte-trento.txt" in plain(label) for label in source_labels(app))

    next(b for b in app.sidebar.button if b.label == "Remove from the index").click().run()
    assert any("Removed" in s.value for s in app.success)
    assert any("Nothing is indexed yet" in w.value for w in app.sidebar.warning)


def test_upload_of_a_bad_file_names_it_and_keeps_the_rest(open_app: Open, settings: rag.Settings) -> None:
    app = open_app(settings)
    good = "Il consiglio comunale di Bergamo ha approvato il bilancio con ventidue voti favorevoli."
    app.sidebar.file_uploader[0].set_value(
        [("binary.txt", b"\x00\x01\x02\xff" * 200, "text/plain"), ("bilancio.txt", good.encode(), "text/plain")]
    )
    next(b for b in app.sidebar.button if b.label == "Add to the index").click().run()
    errors = plain(" ".join(e.value for e in app.error))
    assert "binary.txt" in errors and "skipped" in errors
    assert any("bilancio.txt: added" in plain(s.value) for s in app.success)
    assert [a.title for a in rag.index_status(settings).articles] != []


def test_hostile_article_text_renders_inert(open_app: Open, settings: rag.Settings, hostile_article: Path) -> None:
    rag.ingest([hostile_article], settings)
    app = ask(open_app(settings), "What did Ottavio Brambilla say about the bridge?")
    shown = "\n".join(m.value for m in app.markdown)
    assert "Brambilla" in shown and "ponte" in shown
    assert not re.search(r"(?<!\\)(\]\(|!\[|<img|<script|\*\*Ignora)", shown)  # every mark escaped
    assert "https://" not in shown and "www." not in shown  # bare links broken
    assert "[dettagli](javascript:alert(1))" in plain(shown)  # and still shown as written


def test_llm_mode_answers_with_verified_citations_and_falls_back_with_a_notice(
    open_app: Open, shared_store: rag.Settings
) -> None:
    with fake_llm_server() as server:
        server.reply = cite("compromesso possibile sui territori", "La Russia non vede compromessi sui territori.")
        app = open_app(
            shared_store, RAG_LLM="openai:test-model", RAG_LLM_BASE_URL=f"{server.url}/v1", RAG_LLM_TIMEOUT="3"
        )
        app.sidebar.selectbox[0].set_value("openai:test-model").run()
        app = ask(app, "Cosa ha detto Ushakov sui territori?")
        assert "La Russia non vede compromessi sui territori" in plain(answers(app)[0])
        assert len(source_labels(app)) == 1 and not app.warning

        server.mode = "hang"
        app = ask(app, "Cosa ha detto Ushakov sui territori?")
        assert any("did not answer within 3 s" in plain(w.value) for w in app.warning)
        assert "Secondo gli articoli" in plain(answers(app)[1])
