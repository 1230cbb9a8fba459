"""Answering without an LLM: quote the retrieved sentences that answer the question, or abstain.

Every sentence of the answer is a verbatim quote from a retrieved passage with a `[n]` marker,
framed in the question's language (`rag.languages`). Which sentences answer, and whether any do,
is `rag.evidence`'s call; this module picks the quotes (one more for each part of a two-part
question that the others do not answer) and writes the answer.

Usage:
    >>> answerer = ExtractiveAnswerer(EvidenceScorer(embeddings))  # doctest: +SKIP
    >>> answer = answerer.answer(plan.facts, passages)  # doctest: +SKIP
    >>> answer.text  # doctest: +SKIP
    'According to the articles: La Russia, ha ribadito Ushakov, non ha trovato ... [1]'
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.documents import Document

from rag.answers import Answer, abstention, citation_for
from rag.evidence import Candidate, EvidenceScorer, evidence, quoted_stems
from rag.languages import language
from rag.planning import QuestionFacts

logger = logging.getLogger(__name__)

# Quoted words another article's statement must share with the lead's quotation to be its version
# of it: one shared word ("colloqui") is chance. Not tuned.
MIN_SHARED_QUOTED = 2


class ExtractiveAnswerer:
    """Composes an answer from verbatim quotes of retrieved passages, or abstains.

    :param evidence: scores the passages' sentences and gates answering.
    :param max_quotes: at most this many quotes (one more for "what did X say").
    :param relative_margin: a quote's score may trail the best one's by at most this much.
    """

    def __init__(self, evidence: EvidenceScorer, max_quotes: int = 3, relative_margin: float = 0.4) -> None:
        self.evidence = evidence
        self.max_quotes = max_quotes
        self.relative_margin = relative_margin

    def answer(
        self,
        facts: QuestionFacts,
        passages: list[Document],
        already_said: str = "",
        on_draft: Callable[[str], None] | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """Quote the passages' best sentences; in a conversation, prefer what was not said yet.

        (`on_draft` and `deadline` serve answerers that write; quoting needs neither.)
        """
        chosen, why = self.select(facts, self.evidence.candidates(facts, passages, already_said))
        if not chosen:
            logger.info("abstaining: %s", why)
            return abstention(facts.lang)
        citations = []
        parts = []
        for n, cand in enumerate(chosen, start=1):
            citations.append(citation_for(n, cand.doc, cand.start, cand.end))
            parts.append(f"{cand.text} [{n}]")
        return Answer(f"{language(facts.lang).answer_frame} " + " ".join(parts), tuple(citations), False)

    def select(self, facts: QuestionFacts, candidates: list[Candidate]) -> tuple[list[Candidate], str]:
        """The quotes to answer with, or none and the reason to abstain."""
        candidates, why = self.evidence.gate(facts, candidates)
        if why:
            return [], why
        best = candidates[0]
        floor = self.evidence.quote_floor
        limit = self.max_quotes + (1 if facts.speaker else 0)
        chosen = [best]
        for cand in candidates[1:]:
            if len(chosen) >= limit:
                break
            if cand.score < best.score - self.relative_margin or evidence(cand) < floor:
                continue
            if facts.speaker and best.speaker and not cand.speaker:
                continue
            chosen.append(cand)
        if facts.speaker:
            chosen = _gather_statements(chosen, candidates, limit, floor)
        return self._answer_each_part(facts, chosen, candidates), ""

    def _answer_each_part(
        self, facts: QuestionFacts, chosen: list[Candidate], candidates: list[Candidate]
    ) -> list[Candidate]:
        """A two-part question gets the best quote for each part it does not hold yet."""
        quoted = {(c.doc.id, c.start) for c in chosen}
        for part in facts.parts:
            best = next(iter(self.evidence.rescored(part, candidates)), None)
            if best and (best.doc.id, best.start) not in quoted and evidence(best) >= self.evidence.min_evidence:
                chosen.append(best)
                quoted.add((best.doc.id, best.start))
        return chosen


def _gather_statements(
    chosen: list[Candidate], candidates: list[Candidate], limit: int, floor: float
) -> list[Candidate]:
    """For "what did X say": X's statements, from every article that has one."""
    statements = [c for c in candidates if c.speaker and evidence(c) >= floor * 0.8]
    statements = [c for c in statements if not c.repeated] or statements
    if not statements:
        return chosen
    # Another outlet's version of the lead's quotation is that article's statement to quote: "“utili
    # e costruttivi”" beside "“estremamente utili, costruttive e sostanziali”", not its next best.
    lead_words = quoted_stems(chosen[0])

    def repeats_lead(cand: Candidate) -> int:
        shared = len(lead_words & quoted_stems(cand))
        return shared if shared >= MIN_SHARED_QUOTED else 0

    picked: list[Candidate] = []
    for source in dict.fromkeys(str(c.doc.metadata.get("source")) for c in statements):
        theirs = [c for c in statements if str(c.doc.metadata.get("source")) == source]
        # `max` keeps the first of equals, and candidates come best scored first.
        picked.append(max(theirs, key=repeats_lead))
    for cand in statements:
        if len(picked) >= limit:
            break
        if cand not in picked:
            picked.append(cand)
    return sorted(picked[:limit], key=lambda c: -c.score)
