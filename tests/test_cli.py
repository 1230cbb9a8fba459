"""The `rag` command run in-process: ingest, ask, search, eval and usage errors (rag/cli.py)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import rag
from rag.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

QUESTION = "What did Ushakov say about territory?"
DATED = "2025-12-03-putin-witkoff-cremlino.txt"
FOX = "fox-news-putin-witkoff-kushner.txt"


@dataclass(frozen=True)
class Ingested:
    persist_dir: Path
    folder: Path
    code: int
    output: str


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """One `rag ingest` of the corpus plus two bad files, shared by the read-only CLI tests."""
    root = tmp_path_factory.mktemp("cli")
    folder = root / "articoli"
    folder.mkdir()
    for path in CORPUS.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "rotto.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "vuoto.md").write_bytes(b"")
    persist_dir = root / "store"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.chdir(root)
        patch.setenv("RAG_PERSIST_DIR", str(persist_dir))
        patch.setenv("RAG_PROGRESS", "false")
        code = main(["ingest", str(folder)])
    return Ingested(persist_dir, folder, code, out.getvalue())


@pytest.fixture
def store_env(ingested: Ingested, monkeypatch: pytest.MonkeyPatch) -> Ingested:
    monkeypatch.setenv("RAG_PERSIST_DIR", str(ingested.persist_dir))
    monkeypatch.setenv("RAG_PROGRESS", "false")
    return ingested


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_counts(line: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (added|updated|unchanged|removed|skipped)", line)}


# --- ingest ---------------------------------------------------------------------------------------


def test_ingest_prints_the_report(ingested: Ingested) -> None:
    assert ingested.code == 0
    first = ingested.output.splitlines()[0]
    counts = report_counts(first)
    assert counts == {"added": 2, "updated": 0, "unchanged": 0, "removed": 0, "skipped": 2}
    embedded = re.search(r"\((\d+) chunks embedded", first)
    stored = rag.index_status(rag.Settings(persist_dir=ingested.persist_dir)).chunks
    assert embedded and int(embedded.group(1)) == stored > 10  # a fresh store: every chunk it holds was embedded


def test_bad_files_are_named_with_their_reason(ingested: Ingested) -> None:
    skipped = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in ingested.output.splitlines()[1:]}
    assert set(skipped) == {f"skipped {ingested.folder / 'rotto.txt'}", f"skipped {ingested.folder / 'vuoto.md'}"}
    assert "binary" in skipped[f"skipped {ingested.folder / 'rotto.txt'}"]
    assert "empty" in skipped[f"skipped {ingested.folder / 'vuoto.md'}"]


def test_second_ingest_reports_everything_unchanged(store_env: Ingested, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ingest", str(store_env.folder))
    assert code == 0
    first = out.splitlines()[0]
    assert report_counts(first) == {"added": 0, "updated": 0, "unchanged": 2, "removed": 0, "skipped": 2}
    assert "(0 chunks embedded, 0 deleted)" in first


# --- ask ------------------------------------------------------------------------------------------


def test_ask_prints_an_answer_with_citations_from_both_articles(
    store_env: Ingested, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", QUESTION)
    assert code == 0
    answer = out.split("\n\n[1]", 1)[0]
    assert "[1]" in answer and "Ushakov" in answer
    citation_lines = [line for line in out.splitlines() if re.match(r"\[\d+\] ", line)]
    assert len(citation_lines) >= 2
    assert any(line.endswith(str(store_env.folder / DATED)) for line in citation_lines)
    assert any(line.endswith(str(store_env.folder / FOX)) for line in citation_lines)
    assert "2025-12-03" in out


def test_ask_json_has_the_documented_shape(store_env: Ingested, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", QUESTION, "--json")
    assert code == 0
    result = json.loads(out)

    assert {"answer", "citations", "abstained", "mode", "warnings"} <= set(result)
    assert result["abstained"] is False
    assert result["mode"] == "extractive"  # no RAG_LLM: the answer quotes the articles
    assert isinstance(result["warnings"], list)
    citations = result["citations"]
    assert citations
    for citation in citations:
        assert {"n", "source", "title", "date", "text", "quote", "start", "end"} <= set(citation)
        assert citation["quote"] and citation["quote"] in citation["text"]
        assert (
            Path(citation["source"]).read_text(encoding="utf-8")[citation["start"] : citation["end"]]
            == citation["text"]
        )
        assert citation["title"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert markers == {c["n"] for c in citations}
    assert sorted(c["n"] for c in citations) == list(range(1, len(citations) + 1))
    assert {Path(c["source"]).name for c in citations} == {DATED, FOX}
    dated = [c for c in citations if Path(c["source"]).name == DATED]
    assert all(c["date"] == "2025-12-03" for c in dated)


@pytest.mark.parametrize("question", ["", "   \t  "], ids=["empty", "whitespace"])
def test_ask_empty_question_exits_2(store_env: Ingested, capsys: pytest.CaptureFixture[str], question: str) -> None:
    code, out, err = run(capsys, "ask", question)
    assert code == 2
    assert out == ""
    assert "error:" in err and "empty" in err


def test_ask_before_any_ingest_says_to_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_PERSIST_DIR", str(tmp_path / "nothing-yet"))
    code, out, err = run(capsys, "ask", QUESTION)
    assert code == 1
    assert out == ""
    assert "rag ingest" in err


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["ask"], ["search"], ["eval"], [], ["ask", QUESTION, "--bogus"], ["search", "x", "-k", "many"]],
    ids=["unknown-command", "ask-no-question", "search-no-query", "eval-no-file", "no-command", "bad-flag", "bad-k"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# --- search ---------------------------------------------------------------------------------------


def test_search_prints_ranked_passages(store_env: Ingested, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "Ushakov territori", "-k", "3")
    assert code == 0
    ranks = re.findall(r"^(\d+)\. (\d+\.\d{3}) ", out, re.MULTILINE)
    assert [int(r) for r, _ in ranks] == [1, 2, 3]
    scores = [float(s) for _, s in ranks]
    assert scores == sorted(scores, reverse=True)
    assert "Ushakov" in out
    assert re.search(r"\.txt#\d+", out)


def test_search_json_returns_metadata_with_score(store_env: Ingested, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "Ushakov territori", "--json", "-k", "4")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 4  # -k 4, and the corpus has far more than four chunks
    for row in rows:
        assert {"score", "source", "title", "chunk_id", "start", "end", "kind", "text"} <= set(row)
        assert isinstance(row["score"], float)
        assert Path(row["source"]).read_text(encoding="utf-8")[row["start"] : row["end"]] == row["text"]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert "Ushakov" in rows[0]["text"]


def test_search_empty_query_exits_2(store_env: Ingested, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "  ")
    assert code == 2
    assert "empty" in err


# --- eval -----------------------------------------------------------------------------------------


def test_eval_seed_qa_prints_pass_rate(store_env: Ingested, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = tmp_path / "seed_qa.json"
    seed.write_text(
        json.dumps(
            {
                "cases": [
                    {
                        "id": "dmitriev-who",
                        "question": "Who is Kirill Dmitriev?",
                        "gold": ["Fondo Russo per gli Investimenti Diretti"],
                        "min_gold": 1,
                        "answer_any": ["Fondo", "Fund"],
                    },
                    {
                        "id": "ushakov-territory",
                        "question": "Cosa ha detto Ushakov sui territori?",
                        "gold": ["compromesso"],
                        "min_gold": 1,
                        "answer_any": ["compromesso", "territori"],
                    },
                    {"id": "off-topic", "question": "Who won the 2018 football World Cup?", "expect": "abstain"},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "eval", str(seed))
    assert code == 0
    rate = re.search(r"^pass_rate\s+(\d\.\d{3})$", out, re.MULTILINE)
    assert rate, out
    failures = re.findall(r"^FAIL (\S+):", out, re.MULTILINE)
    assert float(rate.group(1)) == pytest.approx((3 - len(failures)) / 3, abs=1e-3)
    # Three easy cases: the two answers are in the articles, the football question is not.
    assert failures == [], out
    assert re.search(r"^cases\s+3$", out, re.MULTILINE)

    code, out, _ = run(capsys, "eval", str(seed), "--json", "--limit", "2")
    assert code == 0
    result = json.loads(out)
    assert result["kind"] == "seed"
    assert result["metrics"]["cases"] == 2
    # The first two cases are the answerable ones, and both pass.
    assert result["metrics"]["pass_rate"] == 1.0
    assert result["failures"] == []


SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Vesuvio",
            "paragraphs": [
                {
                    "context": "Il Vesuvio è un vulcano attivo che sorge vicino a Napoli. La sua eruzione del 79 dopo "
                    "Cristo distrusse le città romane di Pompei ed Ercolano, sepolte sotto la cenere.",
                    "qas": [
                        {
                            "id": "v1",
                            "question": "Quali città distrusse l'eruzione del Vesuvio del 79?",
                            "answers": [{"text": "Pompei ed Ercolano", "answer_start": 120}],
                        },
                        {
                            "id": "v2",
                            "question": "Vicino a quale città sorge il Vesuvio?",
                            "answers": [{"text": "Napoli", "answer_start": 50}],
                        },
                    ],
                },
                {
                    "context": "La pizza margherita fu preparata nel 1889 dal pizzaiolo Raffaele Esposito in onore "
                    "della regina Margherita di Savoia, con pomodoro, mozzarella e basilico.",
                    "qas": [
                        {
                            "id": "p1",
                            "question": "Chi preparò la prima pizza margherita?",
                            "answers": [{"text": "Raffaele Esposito", "answer_start": 56}],
                        },
                    ],
                },
            ],
        },
        {
            "title": "Sport",
            "paragraphs": [
                {
                    "context": "Il Giro d'Italia è una corsa ciclistica a tappe che si disputa ogni anno a maggio. "
                    "Il vincitore indossa la maglia rosa, colore del giornale che organizzò la prima edizione nel 1909.",
                    "qas": [
                        {
                            "id": "g1",
                            "question": "Di che colore è la maglia del vincitore del Giro d'Italia?",
                            "answers": [{"text": "rosa", "answer_start": 110}],
                        },
                    ],
                },
                {
                    "context": "Il lago di Garda è il più grande lago italiano e si trova tra Lombardia, Veneto e "
                    "Trentino. Le sue sponde ospitano paesi turistici come Sirmione e Riva del Garda.",
                    "qas": [
                        {
                            "id": "l1",
                            "question": "Qual è il lago più grande d'Italia?",
                            "answers": [{"text": "lago di Garda", "answer_start": 3}],
                        },
                    ],
                },
            ],
        },
    ],
}


def test_eval_squad_prints_recall_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_PERSIST_DIR", str(tmp_path / "squad-store"))
    monkeypatch.setenv("RAG_PROGRESS", "false")
    path = tmp_path / "squad_tiny.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    questions = sum(len(p["qas"]) for a in SQUAD["data"] for p in a["paragraphs"])

    code, out, _ = run(capsys, "eval", str(path))
    assert code == 0
    table = dict(re.findall(r"^(\S+)\s+(\S+)$", out, re.MULTILINE))
    for key in ("recall@1", "recall@5", "recall@10", "mrr@10"):
        assert 0.0 <= float(table[key]) <= 1.0
    # Four paragraphs: every question's own paragraph is among the first five distinct sources.
    assert float(table["recall@5"]) == 1.0
    assert float(table["recall@1"]) >= 0.6
    assert float(table["recall@1"]) <= float(table["mrr@10"]) <= float(table["recall@5"])
    assert int(table["questions"]) == questions
    assert int(table["paragraphs"]) == 4

    code, out, _ = run(capsys, "eval", str(path), "--json", "--limit", "3")
    assert code == 0
    result = json.loads(out)
    assert result["kind"] == "squad"
    metrics = result["metrics"]
    assert metrics["questions"] == 3
    assert metrics["paragraphs"] == 4
    assert metrics["chunks_embedded"] == 0, "the paragraphs were indexed by the first run"
    assert metrics["recall@5"] == 1.0
    assert {"recall@1", "recall@10", "mrr@10", "ms_per_question"} <= set(metrics)


def test_eval_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "eval", str(tmp_path / "nope.json"))
    assert code == 2
    assert "no such file" in err
