"""Language detection and the lexical analysis shared by retrieval and answering.

Four token views of a text feed lexical matching:
- `words`: lower-cased, accent-folded words, stemmed with the Snowball stemmer of the language;
- `char_grams`: character 4-grams of the words, so cognates match across languages
  (territory / territori, Moscow / Mosca);
- `name_keys`: a consonant skeleton of capitalised words, so transliteration variants of a
  name match (Zelensky / Zelenskyj, Kyiv / Kiev);
- `stem_bigrams`: adjacent stem pairs, so a passage that keeps a question's phrase ranks higher.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

import Stemmer
from bm25s.stopwords import STOPWORDS_ITALIAN


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Perché' -> 'perche'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """`fold` for one word, cached: an answer folds the same few thousand words many times."""
    return fold(word)


SUPPORTED_STEMMERS = {
    "it": "italian",
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "pt": "portuguese",
}

_STOPWORDS = {
    "it": set(
        "a ad al alla alle allo agli ai all anche ancora avere aveva c che chi ci come con contro cosa cui da dal"
        " dalla dalle dai dagli degli dei del della delle dello di dove dopo e ed era essere è fa fra gli ha hanno"
        " ho i il in io la le lei li lo loro lui ma mi mia mio ne nei nel nella nelle nello no noi non nostro o"
        " per perché però più poi qual quale quali quando quanto quanta quanti quante quello questa queste questi"
        " questo qui se sei si sia siamo sono sta su sua sue sui sul sulla suo suoi tra tu tutto tutti un una uno"
        " vi voi l d un' dell all nell sull quell cos cosa detto dire".split()
    ),
    "en": set(
        "a about after all also an and any are as at be been before being but by can could did do does doing"
        " done for from had has have he her hers him his how i if in into is it its me more most my no not of on"
        " or our out over said say says she should so some than that the their them then there these they this"
        " those to under up us was we were what when where which while who whom whose why will with would you"
        " your tell told".split()
    ),
}
# Snowball's Italian list adds the auxiliary forms (fu, furono, erano, fosse...) that questions and
# passages share without sharing meaning.
_STOPWORDS["it"] |= set(STOPWORDS_ITALIAN)
# Folded like the words they are checked against ('perché' -> 'perche'): unfolded, the accented
# entries never matched and 'perché', 'più', 'però' were indexed as content words.
_STOPWORDS = {lang: {fold(w) for w in ws} for lang, ws in _STOPWORDS.items()}
STOPWORDS = frozenset().union(*_STOPWORDS.values())

_WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
_APOSTROPHE_PREFIX = re.compile(r"^\w{1,5}['’](?=\w)")


def words(text: str) -> list[str]:
    """Surface words, with Italian elisions split off ("l’incontro" -> "incontro")."""
    found = []
    for match in _WORD.finditer(text):
        word = _APOSTROPHE_PREFIX.sub("", match.group())
        found.append(word)
    return found


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`; short texts are decided by stopwords, longer ones by langid.

    >>> detect_language("Che cosa ha detto Ushakov?")
    'it'
    """
    tokens = [fold_word(w) for w in words(text)]
    counts = {lang: sum(t in stops for t in tokens) for lang, stops in _STOPWORDS.items()}
    best = max(counts, key=counts.__getitem__)
    others = sum(v for lang, v in counts.items() if lang != best)
    if counts[best] >= 2 and counts[best] >= 2 * others or (len(tokens) < 12 and counts[best] > others):
        return best
    return _langid(text)


def _langid(text: str) -> str:
    import py3langid

    lang, _ = py3langid.classify(text)
    return str(lang)


@functools.lru_cache(maxsize=8)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = SUPPORTED_STEMMERS.get(lang)
    return Stemmer.Stemmer(name) if name else None


@functools.lru_cache(maxsize=200_000)
def _stem(word: str, lang: str) -> str:
    stemmer = _stemmer(lang)
    return stemmer.stemWord(word) if stemmer else word


def content_words(text: str) -> list[str]:
    """Folded words that carry meaning: no stopwords, no one-letter tokens."""
    return [w for w in map(fold_word, words(text)) if len(w) > 1 and w not in STOPWORDS]


def stems(text: str, langs: tuple[str, ...]) -> list[str]:
    """Content words stemmed with each language's stemmer (a query may use several)."""
    out: list[str] = []
    for word in content_words(text):
        variants = {_stem(word, lang) for lang in langs}
        out.extend(sorted(variants))
    return out


def stem_bigrams(text: str, lang: str) -> list[str]:
    """Adjacent content-word stem pairs ('guerr_fredd'): rewards passages that keep a question's phrases."""
    single = stems(text, (lang,))
    return [f"{a}_{b}" for a, b in itertools.pairwise(single)]


def char_grams(text: str, n: int = 4) -> list[str]:
    """Character n-grams of each content word, padded so short words still count."""
    grams: list[str] = []
    for word in content_words(text):
        if word.isdigit():
            grams.append(word)
            continue
        padded = f"<{word}>"
        if len(padded) <= n:
            grams.append(padded)
            continue
        # Prefix grams weigh most for cognates, whose endings differ by language.
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w’'-]{2,}")
_SKELETON_DROP = re.compile(r"[aeiouyjwh]")


def name_key(word: str) -> str:
    """Consonant skeleton of a name: 'Zelenskyj' and 'Zelensky' -> 'zlnsk', 'Kyiv' and 'Kiev' -> 'kv'."""
    folded = fold_word(word)
    head, tail = folded[0], _SKELETON_DROP.sub("", folded[1:])
    skeleton = head + re.sub(r"(.)\1+", r"\1", tail)
    return skeleton.replace("ck", "k").replace("ph", "f")


def name_keys(text: str) -> list[str]:
    """Name skeletons of the capitalised words in `text` (names, places, organisations)."""
    return [name_key(m.group()) for m in _NAME.finditer(text) if fold_word(m.group()) not in STOPWORDS]


def names(text: str) -> list[str]:
    """Capitalised words that are not sentence-initial stopwords."""
    return [m.group() for m in _NAME.finditer(text) if fold_word(m.group()) not in STOPWORDS]


def stem(word: str, lang: str) -> str:
    """One folded word stemmed with the Snowball stemmer of `lang` (unchanged if none)."""
    return _stem(fold_word(word), lang)


@functools.lru_cache(maxsize=1)
def _identifier() -> object:
    import py3langid.langid as langid

    return langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)


def language_confidence(text: str) -> float:
    """How surely `text` reads as some natural language (0..1); mis-decoded text scores low."""
    _, probability = _identifier().classify(text)  # type: ignore[attr-defined]
    return float(probability)
