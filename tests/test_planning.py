"""Query planning: question analysis, follow-ups and search queries (rag/planning.py)."""

from __future__ import annotations

from rag.planning import analyse_question


def test_question_analysis_finds_names_and_speaker() -> None:
    facts = analyse_question("What did Yuri Ushakov say about Donbas?", "en")
    assert facts.names == ("Yuri", "Ushakov", "Donbas")
    assert facts.speaker == "Ushakov"
    assert analyse_question("Describe the talks", "en").names == ()
    assert analyse_question("Chi è Dmitriev?", "it").speaker is None
