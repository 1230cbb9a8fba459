"""Lexical analysis shared by retrieval, planning and answering; language facts come from `rag.languages`.

Four token views of a text feed lexical matching:
- `stems`: lower-cased, accent-folded content words, stemmed with the Snowball stemmer of the language;
- `char_grams`: character 4-grams of the words, so cognates match across languages
  (territory / territori, Moscow / Mosca);
- `name_keys`: a consonant skeleton of the names, so transliteration variants of a name match
  (Zelensky / Zelenskyj, Kyiv / Kiev);
- `stem_bigrams`: adjacent stem pairs, so a passage that keeps a question's phrase ranks higher.

Every function that drops stopwords or finds names takes the text's language code; a code the
table does not know gets the neutral entry (no stopwords, no stemmer).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import Stemmer

from rag.dates import YEAR
from rag.languages import (
    LANGUAGES,
    MONEY,
    all_clitic_suffixes,
    calendar_names,
    dropped_words,
    fold,
    fold_apostrophes,
    is_abbreviation,
    language,
    place_names,
)

__all__ = [
    "char_grams",
    "char_grams_of",
    "content_words",
    "detect_language",
    "fold",
    "fold_word",
    "language_confidence",
    "name_key",
    "name_keys",
    "names",
    "stem",
    "stem_bigrams",
    "stem_bigrams_of",
    "stems",
    "stems_of",
    "words",
]


@functools.lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """`fold` for one word, cached: an answer folds the same few thousand words many times."""
    return fold(word)


_WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
_GRAM = 4
_ELISION = 5  # "l'", "dell'", "quell'": elided articles and prepositions are at most five letters


def _without_clitic(word: str) -> str:
    """ "Putin's" -> "Putin", "Motors'" -> "Motors": a possessive is not part of the word."""
    head, apostrophe, tail = word.replace("’", "'").partition("'")
    if apostrophe and (not tail or tail.casefold() in all_clitic_suffixes()):
        return word[: len(head)]
    return word


def words(text: str) -> list[str]:
    """Surface words: elisions split off ("l’incontro" -> "incontro"), clitics cut ("Putin's" -> "Putin")."""
    return [_surface(token) for token in _WORD.findall(text)]


@functools.lru_cache(maxsize=200_000)
def _surface(token: str) -> str:
    # Cached: indexing and answering read the same words again and again.
    word = _without_clitic(token)
    head, apostrophe, _ = word.replace("’", "'").partition("'")
    return word[len(head) + 1 :] if apostrophe and len(head) <= _ELISION else word


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`; short texts are decided by stopwords, longer ones by langid.

    >>> detect_language("Che cosa ha detto Ushakov?")
    'it'
    """
    tokens = [fold_word(w) for w in words(text)]
    counts = sorted(
        ((sum(t in entry.stopwords for t in tokens), code) for code, entry in LANGUAGES.items()), reverse=True
    )
    (best, code), (second, _) = counts[0], counts[1]
    short = len(tokens) < 12
    if (best >= 2 and best >= 2 * second) or (short and best > second):
        return code
    if not short:
        lang, _ = _identifier().classify(text)  # type: ignore[attr-defined]
        return str(lang)
    # A few words tell too little for langid's 97 languages ("E la Russia?" reads as French): a
    # short text is one of the table's languages, the likeliest of those its stopwords tie on.
    tied = {c for n, c in counts if n == best and n > 0}
    ranked = [str(lang) for lang, _ in _table_identifier().rank(text)]  # type: ignore[attr-defined]
    return next((lang for lang in ranked if lang in tied), ranked[0])


@functools.lru_cache(maxsize=16)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    algorithm = language(lang).stemmer
    return Stemmer.Stemmer(algorithm) if algorithm else None


@functools.lru_cache(maxsize=200_000)
def _stem(word: str, lang: str) -> str:
    stemmer = _stemmer(lang)
    return str(stemmer.stemWord(word)) if stemmer else word


def content_words(text: str, lang: str) -> list[str]:
    """Folded words that carry meaning: no stopwords of `lang`, no one-letter tokens."""
    stopwords = dropped_words(lang)
    return [w for w in map(fold_word, words(text)) if len(w) > 1 and w not in stopwords]


def stems(text: str, langs: tuple[str, ...]) -> list[str]:
    """Content words (stopwords of `langs[0]`, the text's language) stemmed with each language's stemmer."""
    return stems_of(content_words(text, langs[0]), langs)


def stems_of(content: list[str], langs: tuple[str, ...]) -> list[str]:
    """`stems` of words already through `content_words`."""
    out: list[str] = []
    for word in content:
        variants = {_stem(word, lang) for lang in langs}
        out.extend(sorted(variants))
    return out


def stem_bigrams(text: str, lang: str, stem_lang: str | None = None) -> list[str]:
    """Adjacent content-word stem pairs ('guerr_fredd'): rewards passages that keep a question's phrases.

    Stopwords are `lang`'s (the text's); stems are `stem_lang`'s (default: `lang`).
    """
    return stem_bigrams_of(content_words(text, lang), stem_lang or lang)


def stem_bigrams_of(content: list[str], stem_lang: str) -> list[str]:
    """`stem_bigrams` of words already through `content_words`."""
    single = [_stem(word, stem_lang) for word in content]
    return [f"{a}_{b}" for a, b in itertools.pairwise(single)]


def char_grams(text: str, lang: str) -> list[str]:
    """Character 4-grams of each content word, padded so short words still count."""
    return char_grams_of(content_words(text, lang))


def char_grams_of(content: list[str]) -> list[str]:
    """`char_grams` of words already through `content_words`."""
    return [gram for word in content for gram in _word_grams(word)]


@functools.lru_cache(maxsize=50_000)  # about 0.5 kB an entry: a corpus's working vocabulary
def _word_grams(word: str) -> tuple[str, ...]:
    if word.isdigit():
        return (word,)
    padded = f"<{word}>"
    if len(padded) <= _GRAM:
        return (padded,)
    # Prefix grams weigh most for cognates, whose endings differ by language.
    return tuple(padded[i : i + _GRAM] for i in range(len(padded) - _GRAM + 1))


_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w’'-]{2,}")
_SKELETON_DROP = re.compile(r"[aeiouyjwh]")
_LAST_WORDS = re.compile(r"(\w+)\W+(\w+)\W*$|(\w+)\W*$")


def name_key(word: str) -> str:
    """Consonant skeleton of a name: 'Zelenskyj' and 'Zelensky' -> 'zlnsk', 'Kyiv' and 'Kiev' -> 'kv'."""
    folded = fold_word(word)
    head, tail = folded[0], _SKELETON_DROP.sub("", folded[1:])
    skeleton = head + re.sub(r"(.)\1+", r"\1", tail)
    return skeleton.replace("ck", "k").replace("ph", "f")


def names(text: str, lang: str) -> list[str]:
    """The names in `text`: capitalised words that are not stopwords of `lang`.

    In a language that capitalises every noun (German), a capitalised word right after a
    determiner, or after a determiner and one lower-case adjective ("die Regierung", "der neue
    Vertrag"), or with a common-noun ending ("Verhandlung") is no name.
    """
    return [name for _, name in _name_matches(text, lang)]


def proper_names(text: str, lang: str, context: str | None = None) -> list[str]:
    """`names`, less a word capitalised only because it opens a sentence ("Inizialmente", "...
    futuro. Tuttavia, ...") unless `context` (by default `text`) names it again."""
    context = text if context is None else context
    return [
        name
        for match, name in _name_matches(text, lang)
        if not _opens_sentence(text, match.start(), lang) or len(re.findall(rf"\b{re.escape(name)}\b", context)) > 1
    ]


def _opens_sentence(text: str, at: int, lang: str) -> bool:
    """Whether the word at `at` opens a sentence: it opens `text`, or a quotation after a colon
    ('ha detto: “Lascio'), or follows a full stop, question or exclamation mark that no
    abbreviation or initial ends ("Mr. Henderson" opens none)."""
    before = text[:at].rstrip(' \t\n"“«„(¿¡')
    if not before:
        return True
    if before.endswith(":") and any(mark in text[len(before) : at] for mark in '"“«„'):
        return True
    before = before.rstrip('"”»)')  # 'futuro.” Tuttavia'
    if not before or before[-1] not in ".!?…":
        return False
    token = re.search(r"([\w.]+)$", before[:-1])
    return before[-1] != "." or not (token and is_abbreviation(token.group(1), lang))


def _name_matches(text: str, lang: str) -> list[tuple[re.Match[str], str]]:
    entry = language(lang)
    stopwords = dropped_words(lang)
    found = []
    dates = calendar_names(lang)
    for match in _NAME.finditer(text):
        name = _without_clitic(match.group())
        folded = fold_word(name)
        # Nor are stopwords after an elision: French "Qu'a dit ...", "Qu'est-ce"; "L'Aquila" stays.
        if folded in stopwords or set(fold_word(_surface(name)).split("-")) <= stopwords or len(name) < 3:
            continue
        # "January", "Monday", "April-June" date the text and name nobody, unless a name runs on
        # into them ("Theresa May", "Plácido Domingo", "Black Monday").
        calendar = all(part in dates.months or part in dates.weekdays for part in folded.split("-"))
        if calendar and not _after_name(text[: match.start()], _no_names(lang)):
            continue
        if (
            entry.capitalises_nouns
            and (
                folded.endswith(entry.noun_endings)
                # Two words back is far enough: "der neue Vertrag".
                or _after_determiner(text[max(0, match.start() - 60) : match.start()], entry.determiners)
            )
        ):
            continue
        found.append((match, name))
    return found


@functools.cache
def _no_names(lang: str) -> frozenset[str]:
    """Words that no name runs on from: stopwords, and months and weekdays ("April–June")."""
    dates = calendar_names(lang)
    return dropped_words(lang) | dates.months.keys() | dates.weekdays


def _after_name(before: str, not_names: frozenset[str]) -> bool:
    last = _LAST_WORDS.search(before)
    word = (last.group(3) or last.group(2)) if last else ""
    return word[:1].isupper() and fold_word(word) not in not_names


def _after_determiner(before: str, determiners: frozenset[str]) -> bool:
    last = _LAST_WORDS.search(before)
    if not last:
        return False
    if last.group(3):
        return fold_word(last.group(3)) in determiners
    first, second = last.group(1), last.group(2)
    return fold_word(second) in determiners or (second[:1].islower() and fold_word(first) in determiners)


@dataclass(frozen=True)
class Place:
    """A country a question names ("Japan", "United States"), and all its names in the table's languages."""

    name: str  # folded, as the question names it
    names: frozenset[str]

    def named_in(self, text: str) -> bool:
        """Whether `text` names the place in any table language, as a whole phrase ("Giappone")."""
        return phrase_pattern(tuple(sorted(self.names))).search(fold_apostrophes(text)) is not None


def place_named(name: str) -> Place | None:
    """The country `name` (a name as a question writes it: "Japan", "Stati Uniti") is, or None."""
    names = place_names().get(fold_apostrophes(name))
    return Place(fold_apostrophes(name), names) if names else None


def name_keys(text: str, lang: str) -> list[str]:
    """Name skeletons of the names in `text` (people, places, organisations)."""
    return [name_key(name) for name in names(text, lang)]


def stem(word: str, lang: str) -> str:
    """One folded word stemmed with the Snowball stemmer of `lang` (unchanged if none)."""
    return _stem(fold_word(word), lang)


@functools.lru_cache(maxsize=1)
def _identifier() -> object:
    import py3langid.langid as langid

    return langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)


@functools.lru_cache(maxsize=1)
def _table_identifier() -> object:
    import py3langid.langid as langid

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def language_confidence(text: str) -> float:
    """How surely `text` reads as some natural language (0..1); mis-decoded text scores low."""
    _, probability = _identifier().classify(text)  # type: ignore[attr-defined]
    return float(probability)


_NUMBER = re.compile(r"\d")
_YEAR_ONLY = re.compile(rf"^{YEAR}$")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d\d\b")
# Numbers that count nothing: a clock time with a colon ("18:00"; "2.62" is a count) and the
# number of a model name written with a hyphen ("C-17", "A380-800"). A number after a name is
# left a count: "Boeing 747" is a model, "in Italia 300 mila" is not.
_NOT_COUNTS = re.compile(r"\b\d{1,2}:\d\d\b|\b[^\W\d_]\w*-\d+\b")
_CURRENCY_SIGNS = re.compile(r"[$€£¥]")


@functools.lru_cache(maxsize=4096)
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `phrases` (folded) as whole words, for searching folded text; none matches nothing."""
    if not phrases:
        return re.compile(r"(?!)")
    return re.compile(rf"\b(?:{'|'.join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))})\b")


def numbers_in(text: str) -> frozenset[str]:
    """The numbers `text` writes in digits, whole ("10.769,00", "12,000"); not the digits of a
    name such as "A380"."""
    return frozenset(_WRITTEN_NUMBER.findall(text))


_WRITTEN_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?!\w)")


def is_possessive(word: str) -> bool:
    """Whether `word` ends in a possessive clitic: "Apple's", "Motors'"."""
    return "'" in word.replace("’", "'") and _without_clitic(word) != word


@functools.lru_cache(maxsize=50_000)
def answer_kinds(sentence: str, lang: str, given: frozenset[str] = frozenset()) -> frozenset[str]:
    """The kinds of answer (`languages.QUESTION_KINDS`, and `languages.MONEY`) that `sentence` holds.

    A count is a number that is not a year, nor part of a model name ("A380", "C-17"), nor a clock
    time ("18:00"), nor one of the `given` numbers the question itself states ("how many orders did
    the 787 have"); or a number word. An amount is a count beside a magnitude, unit or percent, or
    beside a currency, which also makes it `MONEY`. A time is a year, a month beside a number, a
    weekday or a clock time; a person or a place, a name; a reason, a causal connective. The
    words are the table's, for the sentence's language.
    """
    entry = language(lang)
    tokens = [fold_word(w) for w in words(sentence)]
    folded = " ".join(tokens)
    # A word that only holds digits after letters is a name, no count: "A380", "MP3".
    numbers = [i for i, t in enumerate(tokens) if _NUMBER.match(t)]
    years = [i for i in numbers if _YEAR_ONLY.match(tokens[i])]
    counts = numbers_in(_NOT_COUNTS.sub(" ", sentence)) - given
    kinds = set()
    if any(not _YEAR_ONLY.match(t) for t in counts) or any(t in entry.number_words for t in tokens):
        kinds.add("how_many")
        money = _CURRENCY_SIGNS.search(sentence) or phrase_pattern(entry.currency_words).search(folded)
        if money:
            kinds.update(("how_much", MONEY))
        elif "%" in sentence or phrase_pattern(entry.amount_words).search(folded):
            kinds.add("how_much")
    dates = calendar_names(lang)
    near_number = {j for i in numbers for j in (i - 1, i + 1)}
    if (
        years
        or any(t in dates.weekdays or (t in dates.months and i in near_number) for i, t in enumerate(tokens))
        or _CLOCK.search(sentence)
    ):
        kinds.add("when")
    if names(sentence, lang):
        kinds.update(("who", "where"))
    if phrase_pattern(entry.reason_words).search(folded):
        kinds.add("why")
    return frozenset(kinds)
