"""Evaluation: seed-QA judging, and the SQuAD-it retrieval targets on the whole dev files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rag
from rag.config import BUNDLED_MODEL
from rag.evaluation import evaluate_file, judge_case
from tests.conftest import SHARED_EVAL, copy_corpus


def test_judge_case_explains_failures() -> None:
    case = {"id": "x", "question": "q", "gold": ["27 punti"], "min_gold": 1, "answer_any": ["27"]}
    cited = {
        "answer": "Secondo gli articoli: ... 27 punti [1]",
        "abstained": False,
        "citations": [{"text": "uno che consisteva in 27 punti", "quote": "27 punti"}],
    }
    assert judge_case(case, cited) is None
    assert "gold" in judge_case(case, {**cited, "citations": [{"text": "altro", "quote": "altro"}]})
    assert "abstained" in judge_case(case, {**cited, "abstained": True, "citations": []})
    abstain = {"id": "y", "question": "q", "expect": "abstain"}
    assert "expected an abstention" in judge_case(abstain, cited)


def test_seed_file_passes(shared_store: rag.Settings) -> None:
    result = evaluate_file(SHARED_EVAL / "seed_qa_dev.json", shared_store)
    assert result.failures == [], result.table()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "floor"),
    # Regression floors just under MiniLM's measured 0.894 / 0.791 (docs/retrieval.md). MiniLM, the
    # fast option, embeds all 2,010 paragraphs in 2 minutes here, e5 in 12: the default model is
    # checked on a subset (tests/test_retrieval.py).
    [("squad_it_dev.json.gz", 0.88), ("squad_it_en_questions_dev.json.gz", 0.77)],
)
def test_squad_it_recall_at_5_holds_with_minilm(squad_store: Path, name: str, floor: float) -> None:
    settings = rag.Settings(persist_dir=squad_store, embedding_model=BUNDLED_MODEL, progress=False)
    result = evaluate_file(SHARED_EVAL / name, settings)
    assert result.metrics["paragraphs"] == 2010
    assert result.metrics["recall@5"] >= floor, result.table()


@pytest.fixture(scope="module")
def squad_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both SQuAD files share the 2,010 paragraphs: the second run re-embeds nothing."""
    return tmp_path_factory.mktemp("squad") / "store"


def test_a_qa_file_names_its_corpus_which_is_ingested_apart_from_the_users_index(
    settings: rag.Settings, tmp_path: Path
) -> None:
    copy_corpus(tmp_path / "eval" / "articles")
    qa = tmp_path / "eval" / "qa.json"
    cases = [
        {"id": "en-speaker-ushakov", "question": "What did Ushakov say about territory?", "gold": ["territori"]},
        {"id": "it-abstain-gas", "question": "Quanto costa il gas in Europa?", "expect": "abstain"},
        {"id": "en-abstain-erdogan", "question": "Who is Kirill Dmitriev?", "expect": "abstain"},
    ]
    qa.write_text(json.dumps({"corpus": "articles", "cases": cases}), encoding="utf-8")

    result = evaluate_file(qa, settings)
    assert result.metrics["pass_rate[speaker]"] == 1.0 and result.metrics["cases[speaker]"] == 1
    # Dmitriev is in the articles: that "abstain" case fails, and the breakdown says where.
    assert result.metrics["pass_rate[abstain]"] == 0.5 and result.metrics["cases[abstain]"] == 2
    assert [f["id"] for f in result.failures] == ["en-abstain-erdogan"]
    assert not settings.persist_dir.exists()  # the user's index was never opened

    # --corpus overrides the file's own; a missing one is named.
    other = copy_corpus(tmp_path / "elsewhere")
    assert evaluate_file(qa, settings, corpus=other).metrics["cases"] == 3
    with pytest.raises(rag.RagError, match="not a folder"):
        evaluate_file(qa, settings, corpus=tmp_path / "missing")
