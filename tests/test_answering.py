"""Extractive answering: question analysis, name matching, speakers, selection and abstention."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document

from rag.answering import ExtractiveAnswerer, analyse_question, coverage, is_speaker, mentions
from rag.embeddings import shared_embeddings


def passage(text: str, source: str = "a.txt", lang: str = "it", start: int = 0, score: float = 1.0) -> Document:
    meta = {"source": source, "title": "T", "lang": lang, "start": start, "end": start + len(text), "score": score}
    return Document(page_content=text, metadata=meta)


def test_question_analysis_finds_names_and_speaker() -> None:
    facts = analyse_question("What did Yuri Ushakov say about Donbas?", "en")
    assert facts.names == ("Yuri", "Ushakov", "Donbas")
    assert facts.speaker == "Ushakov"
    assert analyse_question("Describe the talks", "en").names == ()
    assert analyse_question("Chi è Dmitriev?", "it").speaker is None


def test_mentions_accepts_spelling_variants_only() -> None:
    assert mentions("Zelensky", "il presidente Zelenskyj ha detto")
    assert mentions("Kremlin", "al Cremlino di Mosca")
    assert mentions("Moscow", "arrivato a Mosca")
    assert not mentions("Erdogan", "Putin, Witkoff e Kushner a Mosca")
    assert not mentions("CEO", "Che cosa ha detto")


def test_speaker_detection() -> None:
    assert is_speaker("Ushakov", "La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso.")
    assert is_speaker("Ushakov", "“Il lavoro continuerà”, ha detto l’alto diplomatico.", previous="Secondo Ushakov, no.")
    assert not is_speaker("Ushakov", "Putin ha incontrato Witkoff.")


def test_coverage_counts_question_words_in_the_passage() -> None:
    facts = analyse_question("Quanto costa il gas in Europa?", "it")
    assert coverage(facts, "Mi aspetto un rapporto dagli incontri in Europa.", "it") < 0.5
    assert coverage(facts, "Il gas costa di più in Europa quest’anno.", "it") == 1.0


def test_answer_quotes_verbatim_with_markers_and_offsets(model_cache: Path) -> None:
    text = (
        "Il vertice è durato cinque ore. La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso "
        "possibile sui territori."
    )
    doc = passage(text, start=100)
    answer = ExtractiveAnswerer(shared_embeddings(cache_dir=model_cache)).answer(analyse_question("Cosa ha detto Ushakov sui territori?", "it"), [doc])
    assert not answer.abstained
    assert answer.text.startswith("Secondo gli articoli:")
    citation = answer.citations[0]
    assert citation.quote.startswith("La Russia, ha ribadito Ushakov")
    assert text[citation.quote_start - 100 : citation.quote_end - 100] == citation.quote
    assert f"{citation.quote} [1]" in answer.text


def test_abstains_without_passages_or_evidence(model_cache: Path) -> None:
    answerer = ExtractiveAnswerer(shared_embeddings(cache_dir=model_cache))
    facts = analyse_question("Who won the football match in Madrid?", "en")
    assert answerer.answer(facts, []).abstained
    unrelated = passage("Il consiglio comunale ha approvato il bilancio della città per il prossimo anno.")
    result = answerer.answer(facts, [unrelated])
    assert result.abstained and result.citations == ()
    assert result.text == "I couldn't find this in the articles."
