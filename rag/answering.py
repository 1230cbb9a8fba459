"""Answering without an LLM: pick the retrieved sentences that answer the question and quote them.

Every sentence of the answer is a verbatim quote from a retrieved passage with a `[n]` marker,
framed in the question's language. Sentences are scored on dense similarity to the question,
lexical overlap (stems within a language, character n-grams across), the names the question
mentions, the passage's retrieval score and, for "what did X say" questions, whether X is the
speaker. When the passages do not hold the answer the answerer abstains and cites nothing.

Usage:
    >>> answerer = ExtractiveAnswerer(embeddings)  # doctest: +SKIP
    >>> answer = answerer.answer(question, passages)  # doctest: +SKIP
    >>> answer.text  # doctest: +SKIP
    'According to the articles: La Russia, ha ribadito Ushakov, non ha trovato ... [1]'
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag.chunking import split_sentences
from rag.embeddings import SentenceTransformerEmbeddings
from rag.language import char_grams, content_words, fold, fold_word, name_key, names, stem, stems

logger = logging.getLogger(__name__)

FRAMES = {"it": "Secondo gli articoli:", "en": "According to the articles:"}
ABSTENTIONS = {
    "it": "Non ho trovato questa informazione negli articoli.",
    "en": "I couldn't find this in the articles.",
}
_SPEECH = re.compile(
    r"\b(ha|hanno|avrebbe|aveva)\s+(detto|dichiarato|spiegato|ribadito|ammesso|affermato|aggiunto|"
    r"sottolineato|descritto|parlato|riferito|precisato|osservato|commentato|annunciato)\b|"
    r"\bsecondo\b|\b(said|told|says|stated|explained|added|according to|described)\b",
    re.IGNORECASE,
)
_SAY_QUESTION = re.compile(
    r"\b(say|said|tell|told|state|stated|think|thinks|describe|described|claim|claimed|comment|"
    r"dett[oa]|dire|detto|dichiarato|affermato|spiegato|pensa|descritto|commentato|sostenuto)\b",
    re.IGNORECASE,
)
_QUOTE_MARKS = "“”«»\""


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    date: str | None
    text: str
    quote: str
    start: int
    end: int
    quote_start: int
    quote_end: int
    outlet: str | None = None
    chunk_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def citation_for(n: int, doc: Document, start: int, end: int) -> Citation:
    """Citation `n` of `doc.page_content[start:end]`, with offsets into the source text."""
    meta = doc.metadata
    offset = int(meta.get("start", 0))
    return Citation(
        n=n, source=str(meta.get("source", "")), title=str(meta.get("title", "")),
        date=meta.get("date"), text=doc.page_content, quote=doc.page_content[start:end],
        start=offset, end=int(meta.get("end", offset + len(doc.page_content))),
        quote_start=offset + start, quote_end=offset + end,
        outlet=meta.get("outlet"), chunk_id=meta.get("chunk_id"),
    )


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    mode: str = "extractive"
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.as_dict() for c in self.citations],
            "abstained": self.abstained,
            "mode": self.mode,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with the evidence that it answers the question."""

    doc: Document
    start: int  # offsets inside the passage
    end: int
    dense: float
    lexical: float
    names: float
    retrieval: float
    speaker: bool
    caption: bool
    repeated: bool = False  # quoted in an earlier answer of the conversation
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.doc.page_content[self.start : self.end]


@dataclass(frozen=True)
class QuestionFacts:
    """What the question asks about: its names, content words and whose words it wants."""

    text: str
    lang: str
    names: tuple[str, ...]
    speaker: str | None
    terms: tuple[tuple[str, str], ...]  # (content word, its stem in the question's language)
    stems: frozenset[str]  # content words stemmed in every corpus language
    grams: frozenset[str]


def analyse_question(question: str, lang: str, corpus_langs: tuple[str, ...] = ("it", "en")) -> QuestionFacts:
    found = names(question)
    # The first word is capitalised anyway ("Describe ..."); it is a name only if it recurs.
    first = question.lstrip(" ¿¡\"“«(").split(" ", 1)[0]
    required = tuple(dict.fromkeys(n for i, n in enumerate(found) if i > 0 or n != first))
    speech = _SAY_QUESTION.search(question)
    speaker = None
    if speech and required:
        # "What did Yuri Ushakov say": the name nearest before the verb is the speaker.
        before = [n for n in required if question.find(n) < speech.start()]
        speaker = (before or list(required))[-1]
    langs = tuple(dict.fromkeys((lang, *corpus_langs)))
    return QuestionFacts(
        text=question,
        lang=lang,
        names=required,
        speaker=speaker,
        terms=tuple(dict.fromkeys((word, stem(word, lang)) for word in content_words(question))),
        stems=frozenset(stems(question, langs)),
        grams=frozenset(char_grams(question)),
    )


def coverage(facts: QuestionFacts, text: str, lang: str) -> float:
    """Share of the question's content words that `text` contains (names in any spelling)."""
    if not facts.terms:
        return 0.0
    present = set(stems(text, (lang,)))
    folded_names = {fold(n) for n in facts.names}
    hits = sum(
        1 for word, term in facts.terms if term in present or (word in folded_names and mentions(word, text))
    )
    return hits / len(facts.terms)


def mentions(name: str, text: str) -> bool:
    """Whether `text` names `name`, allowing spelling variants (Zelensky/Zelenskyj, Kremlin/Cremlino)."""
    target = _spelling(name)
    key = name_key(name)
    for word in re.findall(r"\w+", text):
        spelled = _spelling(word)
        if spelled == target:
            return True
        if len(key) >= 3 and word[:1].isupper() and name_key(word) == key:
            return True
        common = len(os.path.commonprefix([spelled, target]))
        if common >= max(4, len(target) - 3) and common >= len(spelled) - 3:
            return True
    return False


def _spelling(word: str) -> str:
    """A spelling-neutral form: transliterations differ in k/c, y/j/i, w/v."""
    return fold_word(word).translate(_TRANSLITERATION).replace("ph", "f")


_TRANSLITERATION = str.maketrans({"k": "c", "y": "i", "j": "i", "w": "v"})


def is_speaker(name: str, sentence: str, previous: str = "") -> bool:
    """`name` says this sentence: named beside a speech verb, or quoted right after being named."""
    if mentions(name, sentence) and _SPEECH.search(sentence):
        return True
    quoted = sentence.lstrip()[:1] in _QUOTE_MARKS
    return quoted and bool(previous) and mentions(name, previous)


class ExtractiveAnswerer:
    """Composes an answer from verbatim quotes of retrieved passages, or abstains."""

    def __init__(
        self,
        embeddings: SentenceTransformerEmbeddings,
        max_quotes: int = 3,
        min_evidence: float = 0.5,
        min_coverage: float = 0.5,
        relative_margin: float = 0.12,
    ) -> None:
        self.embeddings = embeddings
        self.max_quotes = max_quotes
        self.min_evidence = min_evidence
        self.min_coverage = min_coverage
        self.relative_margin = relative_margin

    def rewrite(self, question: str, history: Sequence[tuple[str, str]], heuristic: str, deadline: float) -> str:
        """Follow-ups are resolved by `chain.standalone_query`'s heuristic alone."""
        return heuristic

    def search_queries(self, query: str, lang: str, corpus_languages: Sequence[str], deadline: float) -> list[str]:
        return [query]

    def gate(self, facts: QuestionFacts, passages: list[Document], already_said: str = "") -> str:
        """Why the passages cannot answer the question, or "" when they can."""
        return self.select(facts, self.candidates(facts, passages, already_said))[1]

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
        candidates = self.candidates(facts, passages, already_said)
        chosen, why = self.select(facts, candidates)
        if not chosen:
            logger.info("abstaining: %s", why)
            return Answer(ABSTENTIONS.get(facts.lang, ABSTENTIONS["en"]), (), True)
        citations = []
        parts = []
        for n, cand in enumerate(chosen, start=1):
            citations.append(citation_for(n, cand.doc, cand.start, cand.end))
            parts.append(f"{cand.text} [{n}]")
        frame = FRAMES.get(facts.lang, FRAMES["en"])
        return Answer(f"{frame} " + " ".join(parts), tuple(citations), False)

    def candidates(self, facts: QuestionFacts, passages: list[Document], already_said: str = "") -> list[Candidate]:
        """Every distinct sentence of the passages, scored; those in `already_said` rank last."""
        seen: set[tuple[str, int]] = set()
        raw: list[tuple[Document, int, int, bool]] = []
        for doc in passages:
            spans = split_sentences(doc.page_content)
            base = int(doc.metadata.get("start", 0))
            previous = ""
            for span in spans:
                key = (str(doc.metadata.get("source")), base + span.start)
                sentence = doc.page_content[span.start : span.end]
                if key not in seen and len(content_words(sentence)) >= 3:
                    seen.add(key)
                    speaker = bool(facts.speaker) and is_speaker(facts.speaker or "", sentence, previous)
                    raw.append((doc, span.start, span.end, speaker))
                previous = sentence
        if not raw:
            return []
        texts = [doc.page_content[s:e] for doc, s, e, _ in raw]
        dense = self._similarities(facts.text, texts)
        top_retrieval = max((float(d.metadata.get("score", 0.0)) for d in passages), default=1.0) or 1.0
        scored = []
        for (doc, start, end, speaker), text, sim in zip(raw, texts, dense, strict=True):
            cand = Candidate(
                doc=doc, start=start, end=end, dense=float(sim),
                lexical=self._lexical(facts, text, str(doc.metadata.get("lang", ""))),
                names=self._names(facts, text),
                retrieval=float(doc.metadata.get("score", 0.0)) / top_retrieval,
                speaker=speaker, caption=doc.metadata.get("kind") == "caption",
                repeated=bool(already_said) and text in already_said,
            )
            scored.append(_with_score(cand))
        return sorted(scored, key=lambda c: -c.score)

    def select(self, facts: QuestionFacts, candidates: list[Candidate]) -> tuple[list[Candidate], str]:
        """The quotes to answer with, or none and the reason to abstain."""
        if not candidates:
            return [], "no passages retrieved"
        if evidence(candidates[0]) < self.min_evidence:
            # A follow-up whose answer was already quoted gets it again rather than an abstention.
            repeat = next((c for c in candidates if c.repeated and evidence(c) >= self.min_evidence), None)
            candidates = [repeat, *(c for c in candidates if c is not repeat)] if repeat else candidates
        why = self.unanswerable(facts, candidates)
        if why:
            return [], why
        best = candidates[0]
        limit = self.max_quotes + (1 if facts.speaker else 0)
        chosen = [best]
        for cand in candidates[1:]:
            if len(chosen) >= limit:
                break
            if cand.score < best.score - self.relative_margin or evidence(cand) < self.min_evidence:
                continue
            if facts.speaker and best.speaker and not cand.speaker:
                continue
            chosen.append(cand)
        if facts.speaker:
            chosen = _gather_statements(chosen, candidates, limit, self.min_evidence)
        return chosen, ""

    def unanswerable(self, facts: QuestionFacts, candidates: list[Candidate]) -> str:
        """Why the passages cannot answer the question, or "" when they can."""
        passages = {id(c.doc): c.doc for c in candidates}.values()
        context = " ".join(doc.page_content for doc in passages)
        if facts.names and not any(mentions(n, context) for n in facts.names):
            # Some names are translated ("Institute" / "Istituto"); none present means another story.
            return f"the articles do not mention {', '.join(facts.names)}"
        if facts.speaker and not mentions(facts.speaker, context):
            return f"the articles do not quote {facts.speaker}"
        same_language = [doc for doc in passages if doc.metadata.get("lang") == facts.lang]
        if same_language:
            best_coverage = max(coverage(facts, doc.page_content, facts.lang) for doc in same_language)
            if best_coverage < self.min_coverage:
                return f"the passages hold {best_coverage:.0%} of the question's words"
        best = candidates[0]
        if evidence(best) < self.min_evidence:
            return f"best evidence {evidence(best):.2f} is below {self.min_evidence}"
        return ""

    def _similarities(self, question: str, texts: list[str]) -> np.ndarray:
        vectors = self.embeddings.encode_cached([question, *texts])
        return vectors[1:] @ vectors[0]

    @staticmethod
    def _lexical(facts: QuestionFacts, text: str, lang: str) -> float:
        if not facts.stems and not facts.grams:
            return 0.0
        sentence_stems = set(stems(text, (lang or facts.lang,)))
        word_overlap = len(facts.stems & sentence_stems) / max(len(set(content_words(facts.text))), 1)
        gram_overlap = len(facts.grams & set(char_grams(text))) / max(len(facts.grams), 1)
        return min(1.0, max(word_overlap, gram_overlap))

    @staticmethod
    def _names(facts: QuestionFacts, text: str) -> float:
        if not facts.names:
            return 0.0
        return sum(mentions(n, text) for n in facts.names) / len(facts.names)


def evidence(cand: Candidate) -> float:
    """How strongly one sentence answers the question, on an absolute scale."""
    return cand.dense + 0.5 * cand.lexical + 0.2 * cand.names


def _with_score(cand: Candidate) -> Candidate:
    # Ranking leans on the question's names more than the evidence floor does: in news, the
    # sentence that names the question's people and places is usually the one that answers it.
    score = (
        evidence(cand)
        + 0.2 * cand.names
        + 0.25 * cand.retrieval
        + (0.3 if cand.speaker else 0.0)
        - (0.15 if cand.caption else 0.0)
        # "And what did he say next?": what was quoted before stays available, but last.
        - (1.0 if cand.repeated else 0.0)
    )
    return Candidate(**{**cand.__dict__, "score": score})


def _gather_statements(chosen: list[Candidate], candidates: list[Candidate], limit: int, floor: float) -> list[Candidate]:
    """For "what did X say": X's statements, from every article that has one."""
    statements = [c for c in candidates if c.speaker and evidence(c) >= floor * 0.8]
    statements = [c for c in statements if not c.repeated] or statements
    if not statements:
        return chosen
    picked: list[Candidate] = []
    for source in dict.fromkeys(str(c.doc.metadata.get("source")) for c in statements):
        picked.append(next(c for c in statements if str(c.doc.metadata.get("source")) == source))
    for cand in statements:
        if len(picked) >= limit:
            break
        if cand not in picked:
            picked.append(cand)
    return sorted(picked[:limit], key=lambda c: -c.score)
