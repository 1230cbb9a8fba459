"""Reliability: kill -9 during ingestion, readers during an ingest, concurrent askers, restarts,
and properties that must hold for any text."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from langchain_core.documents import Document

import rag
from rag.config import BUNDLED_MODEL
from rag.evaluation import read_dataset
from rag.generation import ClaimDraft, Reply, verify
from rag.retrieval import build_retriever
from rag.store import SQLiteRecordManager, open_store
from tests.conftest import REPO, SHARED_EVAL, copy_corpus

logger = logging.getLogger(__name__)


def squad_folder(target: Path, count: int) -> Path:
    """`count` SQuAD-it paragraphs, one file each: an archive big enough to interrupt."""
    data = read_dataset(SHARED_EVAL / "squad_it_dev.json.gz")
    target.mkdir(parents=True)
    paragraphs = [p["context"] for article in data["data"] for p in article["paragraphs"]][:count]
    for i, text in enumerate(paragraphs):
        (target / f"paragraph-{i:04d}.txt").write_text(text, encoding="utf-8")
    return target


def store_state(settings: rag.Settings) -> dict[str, Any]:
    """What the three indexes hold: Chroma's chunk ids, the record manager's keys, BM25's ids."""
    store = open_store(settings)
    ids, _, _ = store.all_chunks()
    records = store.record_manager
    return {
        "chroma": sorted(ids),
        "chroma_count": store.collection().count(),
        "records": sorted(records.list_keys()),
        "bm25": sorted(open_store(settings).lexical_index().ids),
    }


def rag_env(settings: rag.Settings) -> dict[str, str]:
    return {
        **os.environ,
        "RAG_PERSIST_DIR": str(settings.persist_dir),
        "RAG_EMBEDDING_MODEL": settings.embedding_model,
        "RAG_PROGRESS": "false",
        "HF_HUB_OFFLINE": "1",
        # Several batches, so that a kill can fall between two of them.
        "RAG_INGEST_BATCH_CHUNKS": "256",
    }


@pytest.mark.slow
def test_kill_9_during_ingestion_then_ingest_again_converges_to_a_clean_run(tmp_path: Path) -> None:
    folder = squad_folder(tmp_path / "archive", 300)
    # Crash safety does not depend on the model: the fast one keeps this test short.
    clean = rag.Settings(persist_dir=tmp_path / "clean", embedding_model=BUNDLED_MODEL, progress=False)
    rag.ingest([folder], clean)
    expected = store_state(clean)
    assert len(expected["chroma"]) == len(set(expected["chroma"])) > 300

    crashed = clean.model_copy(update={"persist_dir": tmp_path / "crashed"})
    records = tmp_path / "crashed" / "records.sqlite"

    def recorded() -> int:
        # The record manager's own file, read directly: a second Chroma client must not open the store.
        return len(SQLiteRecordManager(f"chroma/{crashed.collection}", records).list_keys()) if records.exists() else 0

    command = [sys.executable, "-m", "rag.cli", "ingest", str(folder)]
    kills = []
    # Killed while starting up, then just after a batch was recorded, then further in.
    for kill_when in (
        lambda started: time.monotonic() - started > 3,
        lambda _: recorded() > 0,
        lambda _: recorded() > kills[-1][1],
    ):
        process = subprocess.Popen(
            command, env=rag_env(crashed), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started = time.monotonic()
        while process.poll() is None and not kill_when(started):
            time.sleep(0.05)
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills.append((finished, recorded()))
    assert not any(finished for finished, _ in kills), kills
    assert 0 < kills[-1][1] < len(expected["records"]), kills

    report = rag.ingest([folder], crashed)
    state = store_state(crashed)
    assert state == expected, report.summary()
    logger.info(
        "kills (finished, records): %s; after the rerun: %s; clean run: %d chunks",
        kills,
        report.summary(),
        len(expected["chroma"]),
    )
    retriever = build_retriever(crashed)
    ids, texts, _ = open_store(crashed).all_chunks()
    for chunk_id, text in list(zip(ids, texts, strict=True))[::10]:  # each chunk's own text finds it
        assert any(doc.page_content == text for doc, _ in retriever.search(text, k=3)), chunk_id


@pytest.mark.slow
def test_readers_and_eight_askers_keep_answering_while_an_ingest_runs(tmp_path: Path) -> None:
    settings = rag.Settings(persist_dir=tmp_path / "store", progress=False)
    rag.ingest([copy_corpus(tmp_path / "corpus")], settings)
    chain = rag.build_chain(settings)
    questions = ["What did Ushakov say about territory?", "Cosa ha detto Zelenskyj?", "Who is Kirill Dmitriev?"]
    before = {q: chain.invoke({"question": q, "chat_history": []}) for q in questions}
    archive = squad_folder(tmp_path / "archive", 60)  # other topics: the answers above must not change

    errors: list[BaseException] = []
    answers: list[tuple[str, dict[str, Any]]] = []
    ingesting = threading.Event()

    def ingest() -> None:
        ingesting.set()
        rag.ingest([archive], settings)

    def ask(worker: int) -> None:
        ingesting.wait()
        try:
            for round_ in range(6):
                question = questions[(worker + round_) % len(questions)]
                answers.append((question, chain.invoke({"question": question, "chat_history": []})))
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=ingest)
    askers = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for thread in [writer, *askers]:
        thread.start()
    for thread in [writer, *askers]:
        thread.join(timeout=600)
    assert errors == []
    assert len(answers) == 48
    logger.info("48 answers from 8 threads during an ingest of %s", archive)
    for question, result in answers:
        assert result["answer"] == before[question]["answer"], question
    assert open_store(settings).collection().count() > 26


def test_answers_are_the_same_after_a_restart(shared_store: rag.Settings) -> None:
    question = "What did Ushakov say about territory?"
    here = rag.build_chain(shared_store).invoke({"question": question, "chat_history": []})
    fresh = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", question, "--json"],
        env=rag_env(shared_store),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert json.loads(fresh.stdout) == json.loads(json.dumps(here))


def test_a_second_ingest_while_one_runs_fails_fast_with_store_busy(tmp_path: Path) -> None:
    settings = rag.Settings(persist_dir=tmp_path / "store", progress=False)
    rag.ingest([copy_corpus(tmp_path / "corpus")], settings)
    with open_store(settings).writer_lock():
        started = time.monotonic()
        busy = subprocess.run(
            [sys.executable, "-m", "rag.cli", "ingest", str(tmp_path / "corpus")],
            env=rag_env(settings),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert busy.returncode == 1 and "Another ingest" in busy.stderr
    assert time.monotonic() - started < 60  # process start and imports; the lock itself does not wait
    assert rag.build_chain(settings).invoke({"question": "Chi è Dmitriev?", "chat_history": []})["citations"]


# ---- properties -----------------------------------------------------------------------------------

PASSAGE_TEXTS = [
    "La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso possibile sui territori.",
    "Witkoff e Kushner sono ora attesi a un incontro con il presidente ucraino Zelensky.",
]
PASSAGES = [
    Document(text, metadata={"source": f"/{i}.txt", "start": 0, "end": len(text)})
    for i, text in enumerate(PASSAGE_TEXTS)
]

words = st.sampled_from([*sorted({w for t in PASSAGE_TEXTS for w in t.split()}), "Putin", "HACKED", "[3]", "«x»"])
quotes = st.one_of(
    st.builds(
        lambda i, a, b: " ".join(PASSAGE_TEXTS[i].split()[a : a + b]),  # real words of a passage
        st.integers(0, 1),
        st.integers(0, 10),
        st.integers(1, 8),
    ),
    st.lists(words, min_size=0, max_size=8).map(" ".join),
)
claims = st.builds(
    ClaimDraft,
    st.lists(words, min_size=1, max_size=10).map(" ".join),
    st.lists(st.tuples(st.integers(-1, 4), quotes), max_size=3).map(tuple),
)


@given(st.lists(claims, max_size=5))
def test_every_marker_has_its_citation_and_every_citation_its_marker(drafts: list[ClaimDraft]) -> None:
    text, citations, _ = verify(Reply(True, tuple(drafts)), PASSAGES, "en")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert markers == {c.n for c in citations} == set(range(1, len(citations) + 1))
    for citation in citations:
        assert citation.quote and citation.quote in citation.text
        assert (
            citation.text[citation.quote_start - citation.start : citation.quote_end - citation.start] == citation.quote
        )


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_question_text_gets_an_answer_or_a_clear_refusal(chain: Any, question: str) -> None:
    try:
        result = chain.invoke({"question": question, "chat_history": [("user", question), ("assistant", question)]})
    except rag.QuestionError as exc:
        assert "empty" in str(exc)
        return
    assert isinstance(result["answer"], str) and result["answer"]
    assert result["abstained"] == (result["citations"] == [])
