"""Chat with the articles in the browser: `rag ui` runs this file, `streamlit run ui/app.py` calls `main`.

Uses only rag's public API. The chain (and with it the embedding model and the store) is built once
per process and shared by every browser session; each session keeps its own chat in session state.
Article text and answers are untrusted: they go through `rag.ui.rendering`, never through raw HTML.

The page lives inside the package so that `rag ui` works from an installed wheel, not only from a
checkout. Streamlit executes the script named on its command line afresh on every rerun, with
`__name__` set to "__main__": this file draws the page only then, so the repository's thin
`ui/app.py` can import it (a module body runs once per process) and call `main` on each rerun.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import streamlit as st
from langchain_core.runnables import Runnable

import rag
from rag.ui.rendering import answer_markdown, article_markdown, cited_passage, inert, source_label

UPLOAD_TYPES = ["txt", "md", "html", "htm"]
ABSTAIN_HINT = "Try rephrasing the question, naming the person or place, or widening the filters in the sidebar."
# Ingest and remove in one session at a time; answering goes on meanwhile.
_WRITE_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def settings() -> rag.Settings:
    return rag.Settings()


@st.cache_resource(show_spinner=False)
def answer_chain(mode: str) -> Runnable:
    """One chain per answer mode, shared by every session; warmed so the first question is quick.

    Raises `IndexMissingError` while nothing is indexed (and is not cached then).
    """
    chain = rag.build_chain(settings().model_copy(update={"llm": mode}))
    if mode == "extractive":  # loads the embedding model and the BM25 index; an LLM is not bothered
        chain.invoke({"question": "warm up", "chat_history": []})
    return chain


@st.cache_data(ttl=30, show_spinner=False)
def status() -> rag.IndexStatus | None:
    """What is indexed, or None while nothing is."""
    try:
        current = rag.index_status(settings())
    except rag.IndexMissingError:
        return None
    return current if current.articles else None


@st.cache_data(ttl=300, show_spinner=False)
def examples() -> list[str]:
    try:
        return rag.example_questions(settings())
    except rag.RagError:
        return []


def uploads_folder() -> Path:
    folder = settings().persist_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no odd characters."""
    stem = re.sub(r"[^\w.-]+", "-", Path(name).name).strip(".-")
    return stem or "article.txt"


def index_changed() -> None:
    status.clear()
    examples.clear()


# ---- sidebar ------------------------------------------------------------------------------------


def sidebar(current: rag.IndexStatus | None) -> dict[str, Any]:
    """Status, filters, answer options, upload and the article list; returns the ask options."""
    options: dict[str, Any] = {"filters": {}, "k": settings().k, "mode": "extractive"}
    with st.sidebar:
        st.header("Articles")
        if current is None:
            st.warning("Nothing is indexed yet. Upload articles below, or run `rag ingest corpus`.")
        else:
            left, right = st.columns(2)
            left.metric("Articles", len(current.articles))
            right.metric("Passages", current.chunks)
            st.caption(f"Embedding model: {inert(current.embedding_model)}  \nStore: {inert(current.store)}")

            st.subheader("Filters")
            titles = {a.source: a.title for a in current.articles}
            sources = st.multiselect(
                "Only these articles", list(titles), format_func=lambda s: titles.get(s, s), placeholder="All articles"
            )
            dates = sorted(dt.date.fromisoformat(a.date) for a in current.articles if a.date)
            period = st.date_input(
                "Published between",
                value=[],
                help=f"Dated articles run from {dates[0]} to {dates[-1]}." if dates else None,
            )
            if sources:
                options["filters"]["sources"] = sources
            if isinstance(period, tuple) and len(period) == 2:
                options["filters"]["date_from"] = period[0].isoformat()
                options["filters"]["date_to"] = period[1].isoformat()

        st.subheader("Answers")
        modes = ["extractive"] + ([settings().llm] if settings().llm != "extractive" else [])
        options["mode"] = st.selectbox(
            "Answer mode",
            modes,
            help="Extractive quotes the articles. An LLM (set RAG_LLM) writes the answer; its citations are checked.",
        )
        options["k"] = st.slider("Passages to read", 1, 20, settings().k)

        upload_form()
        web_form()
        feed_list()
        if current is not None:
            article_list(current)
    return options


def upload_form() -> None:
    st.subheader("Add articles")
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Text, Markdown or HTML articles", type=UPLOAD_TYPES, accept_multiple_files=True)
        submitted = st.form_submit_button("Add to the index")
    if submitted and files:
        ingest_uploads(files)


def ingest_uploads(files: list[Any]) -> None:
    limit = settings().max_file_bytes
    progress = st.progress(0.0, text="Adding articles…")
    messages: list[tuple[str, str]] = []
    with _WRITE_LOCK:
        for done, upload in enumerate(files, start=1):
            name = safe_name(upload.name)
            data = upload.getvalue()
            if len(data) > limit:
                messages.append(("error", f"{name}: skipped, larger than {limit:,} bytes (RAG_MAX_FILE_BYTES)."))
                continue
            path = uploads_folder() / name
            path.write_bytes(data)
            try:
                report = rag.ingest([path], settings())
            except rag.RagError as exc:
                messages.append(("error", f"{name}: {exc}"))
                continue
            for _, reason in report.skipped:
                messages.append(("error", f"{name}: skipped, {reason}"))
                path.unlink(missing_ok=True)
            if not report.skipped:
                verb = "unchanged" if report.unchanged else "updated" if report.updated else "added"
                messages.append(("success", f"{name}: {verb} ({report.chunks_added} passages indexed)."))
            progress.progress(done / len(files), text=f"Added {done} of {len(files)}")
    progress.empty()
    index_changed()
    st.session_state.notices = messages


def web_form() -> None:
    st.subheader("Add from the web")
    with st.form("web", clear_on_submit=True):
        url = st.text_input("Page or feed URL", placeholder="https://…/feed.xml")
        follow = st.checkbox("Follow this feed (fetch new articles on each update)")
        every = st.selectbox("Update every", ["30m", "1h", "6h", "1d"], help="How often `rag watch` fetches it.")
        submitted = st.form_submit_button("Fetch")
    if submitted and url.strip():
        fetch_url(url.strip(), follow, every)


def fetch_url(url: str, follow: bool, every: str) -> None:
    """Ingest a page or feed (following it if asked), with the feed's pages counted as they come."""
    progress = st.progress(0.0, text=f"Fetching {url}…")

    def show(done: int, total: int) -> None:
        progress.progress(done / total, text=f"Fetched {done} of {total} articles")

    try:
        with _WRITE_LOCK:
            if follow:
                report = rag.add_feed(url, settings(), every, show).report
            else:
                report = rag.ingest([url], settings(), show)
    except rag.RagError as exc:
        st.session_state.notices = [("error", str(exc))]
    else:
        added = len(report.added) + len(report.updated)
        messages = [("success", f"{url}: {added} articles indexed, {len(report.unchanged)} unchanged.")]
        messages += [("info", f"{source}: duplicate of {original}") for source, original in report.duplicates]
        messages += [("error", f"{source}: skipped, {reason}") for source, reason in report.skipped]
        st.session_state.notices = messages
    progress.empty()
    index_changed()
    st.rerun()  # the new articles and feed in the sidebar


def feed_list() -> None:
    feeds = rag.list_feeds(settings())
    if not feeds:
        return
    st.subheader("Followed feeds")
    for feed in feeds:
        with st.container(border=True):
            st.markdown(f"**{inert(feed.title or feed.url)}**")
            updated = feed.last_update.replace("T", " ")[:16] if feed.last_update else "never"
            st.caption(inert(f"{len(feed.articles)} articles · updated {updated} · {feed.url}"))
    if st.button("Update the feeds now"):
        with st.spinner("Updating the feeds…"), _WRITE_LOCK:
            updates = rag.update_feeds(settings())
        index_changed()
        st.session_state.notices = [
            ("error" if update.report.skipped else "success", " ".join(update.report.lines()[1:]) or update.line())
            for update in updates
        ]
        st.rerun()


def article_list(current: rag.IndexStatus) -> None:
    st.subheader("Indexed articles")
    for number, article in enumerate(current.articles):
        with st.container(border=True):
            st.markdown(f"**{inert(article.title)}**")
            details = [
                article.date or "undated",
                article.outlet or Path(article.source).name,
                f"{article.chunks} passages",
            ]
            st.caption(inert(" · ".join(details)))
            if article.url:
                st.link_button("Original", article.url)
            with st.popover("Remove"):
                st.caption("Remove this article from the index? The file itself is kept.")
                if st.button("Remove from the index", key=f"remove-{number}", type="primary"):
                    try:
                        with _WRITE_LOCK:
                            rag.remove([article.source], settings())
                    except rag.RagError as exc:  # e.g. another process is ingesting
                        st.session_state.notices = [("error", str(exc))]
                    else:
                        index_changed()
                        st.session_state.notices = [("success", f"Removed {article.title}.")]
                    st.rerun()


# ---- chat ---------------------------------------------------------------------------------------


@st.dialog("The whole article", width="large")
def show_article(citation: dict[str, Any]) -> None:
    st.markdown(source_label(citation))
    try:
        text = rag.article_text(citation["source"], settings())
    except rag.RagError as exc:
        st.error(inert(str(exc)))
        return
    st.markdown(article_markdown(text, citation))


def show_sources(message: dict[str, Any], turn: int) -> None:
    for citation in message["citations"]:
        with st.container(border=True):
            st.markdown(source_label(citation))
            st.markdown(cited_passage(citation))
            carriers = [c["outlet"] or c["title"] for c in citation.get("also_in", [])]
            if carriers:
                st.caption(inert("Also carried by " + ", ".join(carriers)))
            if st.button("Read the whole article", key=f"article-{turn}-{citation['n']}", type="tertiary"):
                show_article(citation)
            if citation.get("url"):
                st.link_button("Original", citation["url"])


def show_message(message: dict[str, Any], turn: int) -> None:
    with st.chat_message(message["role"]):
        message_body(message, turn)


def message_body(message: dict[str, Any], turn: int) -> None:
    if message["role"] == "user":
        st.markdown(inert(message["text"]))
        return
    if message.get("error"):
        st.error(inert(message["text"]))
        return
    if message["abstained"]:
        st.info(inert(message["text"]) + "  \n" + ABSTAIN_HINT)
    else:
        st.markdown(answer_markdown(message["text"]))
    for warning in message["warnings"]:
        st.warning(inert(warning))
    if message["citations"]:
        st.caption("Sources")
        show_sources(message, turn)


def ask(question: str, history: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    """Stream the answer into the page, then show it with its sources; return it for the history."""
    inputs = {
        "question": question,
        "chat_history": [(m["role"], m["text"]) for m in history if not m.get("error")],
        "filters": options["filters"],
        "k": options["k"],
    }
    message: dict[str, Any] = {"role": "assistant", "text": "", "citations": [], "abstained": False, "warnings": []}
    with st.chat_message("assistant"):
        placeholder = st.empty()
        placeholder.markdown("_Searching the articles…_")

        # An LLM's draft shows while it is written; the verified answer then replaces it.
        def show_draft(draft: str) -> None:
            placeholder.markdown(inert(draft) + " ▌")

        listener = rag.DraftListener(show_draft)
        try:
            for piece in answer_chain(options["mode"]).stream(inputs, config={"callbacks": [listener]}):
                if "answer" in piece:
                    message["text"] += piece["answer"]
                    placeholder.markdown(answer_markdown(message["text"]))
                else:
                    message.update({k: v for k, v in piece.items() if k != "mode"})
        except (rag.QuestionError, rag.IndexMissingError, rag.ConfigurationError) as exc:
            message.update(text=str(exc), error=True)
        placeholder.empty()
        message_body(message, len(history) + 1)  # the turn it will have in the history
    return message


def choose_example(question: str) -> None:
    st.session_state.example = question


def main() -> None:
    """Draw the whole page; Streamlit calls for it again on every rerun (each click or question)."""
    st.set_page_config(page_title="Ask the articles", page_icon="📰", layout="wide")
    st.title("Ask the articles")
    current = status()
    if current is not None:
        with st.spinner("Loading the embedding model and the index…"):
            answer_chain("extractive")
    options = sidebar(current)
    show = {"success": st.success, "info": st.info, "error": st.error}
    for kind, text in st.session_state.pop("notices", []):
        show[kind](inert(text))

    history: list[dict[str, Any]] = st.session_state.setdefault("history", [])
    st.caption("Answers quote the articles; every claim links to the passage it came from.")
    for turn, message in enumerate(history):
        show_message(message, turn)

    question = st.chat_input("Ask about the articles, in your language") or st.session_state.pop("example", None)
    if question:
        show_message({"role": "user", "text": question}, len(history))
        answer = ask(question, history, options)
        history += [{"role": "user", "text": question}, answer]
    elif not history and current is not None:
        st.markdown("**Try asking:**")
        for number, example in enumerate(examples()):
            st.button(example, key=f"example-{number}", on_click=choose_example, args=(example,))
    if history:
        st.button("New chat", icon=":material/add_comment:", on_click=history.clear)


if __name__ == "__main__":  # run by Streamlit as its script (`rag ui`)
    main()
