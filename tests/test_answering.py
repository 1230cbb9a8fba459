"""Extractive answering: quote selection, framing and abstention (rag/answering.py)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document

from rag.answering import ExtractiveAnswerer, _gather_statements
from rag.embeddings import shared_embeddings
from rag.evidence import Candidate, EvidenceScorer
from rag.planning import analyse_question


def passage(text: str, source: str = "a.txt", lang: str = "it", start: int = 0, score: float = 1.0) -> Document:
    meta = {"source": source, "title": "T", "lang": lang, "start": start, "end": start + len(text), "score": score}
    return Document(page_content=text, metadata=meta)


def test_answer_quotes_verbatim_with_markers_and_offsets(model_cache: Path) -> None:
    text = (
        "Il vertice è durato cinque ore. La Russia, ha ribadito Ushakov, non ha trovato alcun compromesso "
        "possibile sui territori."
    )
    doc = passage(text, start=100)
    answer = ExtractiveAnswerer(EvidenceScorer(shared_embeddings(cache_dir=model_cache))).answer(
        analyse_question("Cosa ha detto Ushakov sui territori?", "it"), [doc]
    )
    assert not answer.abstained
    assert answer.text.startswith("Secondo gli articoli:")
    citation = answer.citations[0]
    assert citation.quote.startswith("La Russia, ha ribadito Ushakov")
    assert text[citation.quote_start - 100 : citation.quote_end - 100] == citation.quote
    assert f"{citation.quote} [1]" in answer.text


def test_abstains_without_passages_or_evidence(model_cache: Path) -> None:
    answerer = ExtractiveAnswerer(EvidenceScorer(shared_embeddings(cache_dir=model_cache)))
    facts = analyse_question("Who won the football match in Madrid?", "en")
    assert answerer.answer(facts, []).abstained
    unrelated = passage("Il consiglio comunale ha approvato il bilancio della città per il prossimo anno.")
    result = answerer.answer(facts, [unrelated])
    assert result.abstained and result.citations == ()
    assert result.text == "I couldn't find this in the articles."


def test_what_someone_said_quotes_each_outlets_version_of_the_same_quotation(model_cache: Path) -> None:
    first = passage("Anche il consigliere Yuri Ushakov ha descritto i colloqui come “utili e costruttivi”.")
    second = passage(
        "La questione del territorio è stata una parte fondamentale della discussione dei colloqui, secondo "
        "Ushakov. Yuri Ushakov ha detto ai giornalisti che le conversazioni sono state “estremamente utili, "
        "costruttive e sostanziali”.",
        source="b.txt",
    )
    answerer = ExtractiveAnswerer(EvidenceScorer(shared_embeddings(cache_dir=model_cache)), max_quotes=1)
    answer = answerer.answer(analyse_question("Come ha descritto Ushakov i colloqui?", "it"), [first, second])
    quotes = [citation.quote for citation in answer.citations]
    assert quotes[0] == first.page_content
    # b.txt's statement that repeats the quotation, not its best-scored one about the territory.
    assert any("estremamente utili" in quote for quote in quotes)
    assert not any("territorio" in quote for quote in quotes)


def statement(text: str, source: str, score: float) -> Candidate:
    return Candidate(passage(text, source=source), 0, len(text), 0.5, 0.5, 1.0, 1.0, True, False, score=score)


def test_each_other_article_gives_its_version_of_the_lead_quotation_else_its_best_statement() -> None:
    lead = statement("Ushakov ha descritto i colloqui come “utili e costruttivi”.", "a.txt", 2.0)
    best_of_b = statement("Secondo Ushakov, il territorio è stato “centrale” nei colloqui.", "b.txt", 1.8)
    version_of_b = statement("Ushakov li ha detti “estremamente utili, costruttivi e sostanziali”.", "b.txt", 1.2)
    chance_of_c = statement("Ushakov ha parlato di colloqui “utili” anche a Parigi.", "c.txt", 1.5)
    best_of_c = statement("Ushakov ha detto: “ne riparleremo”.", "c.txt", 1.6)
    candidates = sorted([lead, best_of_b, version_of_b, chance_of_c, best_of_c], key=lambda c: -c.score)
    picked = _gather_statements([lead], candidates, limit=3, floor=0.0)
    assert picked == [lead, best_of_c, version_of_b]  # c.txt shares one quoted word only: chance
