"""Sentence evidence: name matching, speakers, coverage and the gate (rag/evidence.py)."""

from __future__ import annotations

from rag.evidence import coverage, is_speaker, mentions
from rag.planning import analyse_question


def test_mentions_accepts_spelling_variants_only() -> None:
    assert mentions("Zelensky", "il presidente Zelenskyj ha detto")
    assert mentions("Kremlin", "al Cremlino di Mosca")
    assert mentions("Moscow", "arrivato a Mosca")
    assert not mentions("Erdogan", "Putin, Witkoff e Kushner a Mosca")
    assert not mentions("CEO", "Che cosa ha detto")


def test_speaker_detection() -> None:
    assert is_speaker("Ushakov", "La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso.")
    assert is_speaker(
        "Ushakov", "“Il lavoro continuerà”, ha detto l’alto diplomatico.", previous="Secondo Ushakov, no."
    )
    assert not is_speaker("Ushakov", "Putin ha incontrato Witkoff.")


def test_coverage_counts_question_words_in_the_passage() -> None:
    facts = analyse_question("Quanto costa il gas in Europa?", "it")
    assert coverage(facts, "Mi aspetto un rapporto dagli incontri in Europa.", "it") < 0.5
    assert coverage(facts, "Il gas costa di più in Europa quest’anno.", "it") == 1.0
