"""How the near-duplicate threshold was chosen: precision and recall of "estimated Jaccard >= t".

    python benchmarks/duplicates.py                               # ../shared/news/it (docs/duplicates.md)
    python benchmarks/duplicates.py --corpus ../shared/news/en    # the English originals

Positive pairs are an article and an edited copy of it, made deterministically (seeded) from each
article, written to a temporary file and read back with `load_file`, so the copy goes through
ingestion's layout and boilerplate rules like a real one:

    a  headline changed + a byline line added ("di Mario Rossi (Reuters)")
    b  one body sentence trimmed
    c  two or three sentences trimmed + headline changed
    d  the last paragraph cut
    e  a boilerplate line added ("Scarica la nostra app…", "Iscriviti…") + one sentence trimmed

Negative pairs are distinct articles that must not merge: every pair of one topic (the file-name
prefix: airbus, apple, gm, stock), plus each article with its most similar other article of the
whole corpus by estimated Jaccard. The script prints the Jaccard distributions of each kind, the
pair-level precision/recall of `jaccard >= t` for t in 0.30..0.90, the same through a real
`DuplicateIndex` (LSH banding included) one indexed article at a time, and an ingestion run: all
originals indexed, every copy and every original looked up.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from rag.duplicates import DUPLICATE_THRESHOLD, NUM_PERM, DuplicateIndex, body_text, shingles, signature
from rag.loading import LoadedDocument, load_file

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO.parent / "shared" / "news" / "it"
SEED = 20240601
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(13)]
INDEX_THRESHOLDS = sorted(
    {round(DUPLICATE_THRESHOLD + d, 2) for d in (-0.1, -0.05, 0.0, 0.05, 0.1)} | set(THRESHOLDS[:7])
)
POSITIVE_KINDS = {
    "a": "headline changed + byline added",
    "b": "one sentence trimmed",
    "c": "2-3 sentences trimmed + headline changed",
    "d": "last paragraph cut",
    "e": "boilerplate line added + one sentence trimmed",
}
NEGATIVE_KINDS = {"topic": "distinct articles, same topic", "nearest": "each article's most similar other article"}
# A full stop, maybe inside a bracket or quote ("MacBook.) Queste"), then a capital.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][)\"”»’]))\s+(?=[\"“«(]?[A-ZÀ-Ý0-9])")
_NAMES = ("Mario Rossi", "Giulia Bianchi", "Luca Ferrari", "Anna Romano", "Paolo Esposito", "Chiara Ricci")
_AGENCIES = ("Reuters", "ANSA", "AP", "AFP")
_HEADLINE_WORDS = ("ufficiale", "ecco", "oggi", "caso", "svolta", "news", "analisi", "mercati", "annuncio")
_BOILERPLATE = (
    "Scarica la nostra app per restare sempre aggiornato",
    "Scarica l'app e ricevi le notifiche delle ultime notizie",
    "Iscriviti alla nostra newsletter",
    "Seguici su Facebook e Twitter",
    "Riproduzione riservata © Copyright",
)


@dataclass(frozen=True)
class Article:
    """An article as written: title line, date line, body paragraphs of sentences."""

    title: str
    date_line: str
    paragraphs: list[list[str]]

    @classmethod
    def parse(cls, text: str) -> Article:
        lines = text.strip().split("\n")
        blocks = re.split(r"\n\s*\n", "\n".join(lines[2:]).strip())
        paragraphs = [_SENTENCE_END.split(" ".join(block.split())) for block in blocks if block.strip()]
        return cls(lines[0].strip(), lines[1].strip(), paragraphs)

    def render(self, lead: list[str] | None = None) -> str:
        """The same layout as the corpus: title, date, a blank line, paragraphs separated by blank lines."""
        blocks = [*(lead or []), *(" ".join(p) for p in self.paragraphs if p)]
        return f"{self.title}\n{self.date_line}\n\n" + "\n\n".join(blocks) + "\n"

    def sentence_count(self) -> int:
        return sum(len(p) for p in self.paragraphs)


@dataclass(frozen=True)
class Pair:
    kind: str
    first: LoadedDocument  # the indexed one
    second: LoadedDocument  # the one looked up
    positive: bool


def new_headline(title: str, rng: random.Random) -> str:
    """Words shuffled, one or two replaced by headline filler, first letter capitalised."""
    words = title.split()
    rng.shuffle(words)
    for _ in range(min(2, max(1, len(words) // 4))):
        words[rng.randrange(len(words))] = rng.choice(_HEADLINE_WORDS)
    headline = " ".join(words)
    return headline[:1].upper() + headline[1:]


def trimmed(article: Article, count: int, rng: random.Random) -> Article:
    """`count` body sentences removed at random (the first sentence of the article kept)."""
    slots = [(p, s) for p, para in enumerate(article.paragraphs) for s in range(len(para)) if (p, s) != (0, 0)]
    drop = set(rng.sample(slots, min(count, len(slots))))
    paragraphs = [
        [sentence for s, sentence in enumerate(para) if (p, s) not in drop] for p, para in enumerate(article.paragraphs)
    ]
    return Article(article.title, article.date_line, [p for p in paragraphs if p])


def edited(article: Article, kind: str, rng: random.Random) -> str | None:
    """The text of an edited copy of `article`, or None when the article is too short for the edit."""
    if kind == "a":
        byline = f"di {rng.choice(_NAMES)} ({rng.choice(_AGENCIES)})"
        return Article(new_headline(article.title, rng), article.date_line, article.paragraphs).render([byline])
    if kind == "b":
        return trimmed(article, 1, rng).render() if article.sentence_count() >= 2 else None
    if kind == "c":
        count = rng.choice((2, 3))
        if article.sentence_count() < count + 2:
            return None
        copy = trimmed(article, count, rng)
        return Article(new_headline(article.title, rng), copy.date_line, copy.paragraphs).render()
    if kind == "d":
        if len(article.paragraphs) < 2:
            return None
        return Article(article.title, article.date_line, article.paragraphs[:-1]).render()
    if kind == "e":
        if article.sentence_count() < 2:
            return None
        copy = trimmed(article, 1, rng)
        paragraphs = [" ".join(p) for p in copy.paragraphs]
        paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(_BOILERPLATE))
        return f"{copy.title}\n{copy.date_line}\n\n" + "\n\n".join(paragraphs) + "\n"
    raise ValueError(kind)


def exact_jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def topic(doc: LoadedDocument) -> str:
    return Path(doc.source).name.split("-", 1)[0]


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f}" if denominator else "–"


def build_pairs(originals: list[LoadedDocument], workdir: Path) -> tuple[list[Pair], dict[str, int], int]:
    """Edited copies of each original (positives), then same-topic and nearest-neighbour pairs (negatives).

    :returns: the pairs, how many copies of each kind were not made (article too short for the
        edit), and how many of kind e's boilerplate lines `load_file` dropped.
    """
    pairs: list[Pair] = []
    skipped = dict.fromkeys(POSITIVE_KINDS, 0)
    dropped_boilerplate = 0
    for doc in originals:
        article = Article.parse(doc.text)
        name = Path(doc.source).name
        for kind in POSITIVE_KINDS:
            rng = random.Random(f"{SEED}-{name}-{kind}")
            text = edited(article, kind, rng)
            if text is None:
                skipped[kind] += 1
                continue
            path = workdir / "copies" / f"{kind}-{name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            copy = load_file(path)
            if copy.date != doc.date or copy.title != text.split("\n", 1)[0]:
                raise SystemExit(f"{path}: the edited copy lost the title/date layout")
            dropped_boilerplate += int(kind == "e" and bool(copy.dropped_lines))
            pairs.append(Pair(kind, doc, copy, True))

    for first, second in itertools.combinations(originals, 2):
        if topic(first) == topic(second):
            pairs.append(Pair("topic", first, second, False))
    sigs = [signature(body_text(doc)) for doc in originals]
    seen: set[tuple[str, str]] = set()
    for i, doc in enumerate(originals):
        j = max((k for k in range(len(originals)) if k != i), key=lambda k: sigs[i].jaccard(sigs[k]))
        key = pair_key(doc, originals[j])
        if key not in seen:
            seen.add(key)
            pairs.append(Pair("nearest", doc, originals[j], False))
    return pairs, skipped, dropped_boilerplate


def pair_key(first: LoadedDocument, second: LoadedDocument) -> tuple[str, str]:
    return min(first.source, second.source), max(first.source, second.source)


def name(doc: LoadedDocument) -> str:
    return Path(doc.source).name


def kept(pair: Pair) -> float:
    """The copy's share of the original's body words (over 1 when lines were added)."""
    return len(body_text(pair.second).split()) / max(1, len(body_text(pair.first).split()))


def print_distributions(pairs: list[Scored], skipped: dict[str, int], dropped_boilerplate: int) -> None:
    print("## Pairs and their Jaccard similarity (body text, word 3-grams)\n")
    print("| kind | what | pairs | est. min | est. median | est. max | exact min | exact max |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, what in {**POSITIVE_KINDS, **NEGATIVE_KINDS}.items():
        values = [s.estimated for s in pairs if s.pair.kind == kind]
        exact_values = [s.exact for s in pairs if s.pair.kind == kind]
        sign = "+" if kind in POSITIVE_KINDS else "−"
        print(
            f"| {sign} {kind} | {what} | {len(values)} | {min(values):.3f} | {statistics.median(values):.3f} "
            f"| {max(values):.3f} | {min(exact_values):.3f} | {max(exact_values):.3f} |"
        )
    nearest = [s.pair for s in pairs if s.pair.kind == "nearest"]
    cross = sum(topic(p.first) != topic(p.second) for p in nearest)
    print(f"\nNearest-neighbour pairs: {len(nearest)} unique, {cross} of them across topics.")
    print("Copies not made (article too short for the edit): " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    made = sum(s.pair.kind == "e" for s in pairs)
    print(f"Kind e: load_file dropped the added boilerplate line in {dropped_boilerplate} of {made} copies.")
    for kind in POSITIVE_KINDS:
        low = sorted((s for s in pairs if s.pair.kind == kind), key=lambda s: s.estimated)[:3]
        print(
            f"Lowest {kind}: "
            + "; ".join(f"{name(s.pair.first)} {s.estimated:.3f} ({kept(s.pair):.0%} of body words kept)" for s in low)
        )


def print_estimated(positives: list[Scored], negatives: list[Scored]) -> None:
    print("\n## Precision and recall of `estimated Jaccard >= t` (pairs)\n")
    kinds = list(POSITIVE_KINDS)
    print("| t | precision | recall | " + " | ".join(f"recall {k}" for k in kinds) + " | false merges |")
    print("| ---: | ---: | ---: | " + " | ".join("---:" for _ in kinds) + " | ---: |")
    for t in THRESHOLDS:
        tp = sum(s.estimated >= t for s in positives)
        fp = sum(s.estimated >= t for s in negatives)
        per_kind = [
            ratio(sum(s.estimated >= t for s in positives if s.pair.kind == k), kind_count(positives, k)) for k in kinds
        ]
        print(f"| {t:.2f} | {ratio(tp, tp + fp)} | {ratio(tp, len(positives))} | {' | '.join(per_kind)} | {fp} |")


def kind_count(scored: list[Scored], kind: str) -> int:
    return sum(s.pair.kind == kind for s in scored)


def print_pairwise_index(positives: list[Scored], negatives: list[Scored], workdir: Path) -> None:
    """Each pair through a DuplicateIndex holding only its first article: LSH candidate and Jaccard >= t."""
    print("\n## Through DuplicateIndex, pair by pair (one indexed article, `original_of` the other)\n")
    kinds = list(POSITIVE_KINDS)
    print(
        "| threshold | precision | recall | " + " | ".join(f"recall {k}" for k in kinds) + " | false merges "
        "| positives >= t missed by LSH | highest J missed by LSH |"
    )
    print("| ---: | ---: | ---: | " + " | ".join("---:" for _ in kinds) + " | ---: | ---: | ---: |")
    by_first: dict[str, list[Scored]] = {}
    firsts: dict[str, LoadedDocument] = {}
    for scored in [*positives, *negatives]:
        by_first.setdefault(scored.pair.first.source, []).append(scored)
        firsts[scored.pair.first.source] = scored.pair.first
    for t in INDEX_THRESHOLDS:
        found = dict.fromkeys(kinds, 0)
        false_merges = 0
        missed: list[float] = []
        for n, (source, group) in enumerate(by_first.items()):
            index = DuplicateIndex(workdir / "pairwise" / f"{t:.2f}-{n}.sqlite", threshold=t)
            index.add(firsts[source])
            for scored in group:
                merged = index.original_of(scored.pair.second) == source
                if scored.pair.positive:
                    found[scored.pair.kind] += merged
                    if scored.estimated >= t and not merged:
                        missed.append(scored.estimated)
                else:
                    false_merges += merged
        tp = sum(found.values())
        per_kind = [ratio(found[k], kind_count(positives, k)) for k in kinds]
        highest = f"{max(missed):.3f}" if missed else "–"
        print(
            f"| {t:.2f} | {ratio(tp, tp + false_merges)} | {ratio(tp, len(positives))} | {' | '.join(per_kind)} "
            f"| {false_merges} | {len(missed)} | {highest} |"
        )


def print_banding() -> None:
    """The LSH's bands and rows at each threshold, and the chance a pair of Jaccard J becomes a candidate."""
    probes = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    print("\n## LSH banding (datasketch's choice for the threshold): P(a pair of Jaccard J is a candidate)\n")
    print("| threshold | bands × rows | " + " | ".join(f"J={j}" for j in probes) + " |")
    print("| ---: | ---: | " + " | ".join("---:" for _ in probes) + " |")
    for t in INDEX_THRESHOLDS:
        lsh = MinHashLSH(threshold=t, num_perm=NUM_PERM)
        chances = [1 - (1 - j**lsh.r) ** lsh.b for j in probes]
        print(f"| {t:.2f} | {lsh.b} × {lsh.r} | " + " | ".join(f"{c:.3f}" for c in chances) + " |")


def print_ingestion(originals: list[LoadedDocument], positives: list[Scored], workdir: Path) -> None:
    """All originals in one DuplicateIndex, as after ingesting the corpus; then every copy arrives."""
    print("\n## Ingestion: all originals indexed, every copy and every original looked up\n")
    print(
        "| threshold | copies -> own original | copies -> another article | copies not matched "
        "| originals merged into another |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    unmatched: list[Scored] = []
    for t in INDEX_THRESHOLDS:
        index = DuplicateIndex(workdir / "ingestion" / f"{t:.2f}.sqlite", threshold=t)
        for doc in originals:
            index.add(doc)
        own = other = none = 0
        for scored in positives:
            match = index.original_of(scored.pair.second)
            own += match == scored.pair.first.source
            other += match is not None and match != scored.pair.first.source
            none += match is None
            if match is None and t == DUPLICATE_THRESHOLD:
                unmatched.append(scored)
        merged = sum(index.original_of(doc) is not None for doc in originals)
        print(f"| {t:.2f} | {own} / {len(positives)} | {other} | {none} | {merged} / {len(originals)} |")
    print(
        f"\nCopies not matched at DUPLICATE_THRESHOLD {DUPLICATE_THRESHOLD}: "
        + ("; ".join(f"{s.pair.kind} {name(s.pair.first)} {s.estimated:.3f}" for s in unmatched) or "none")
    )


@dataclass(frozen=True)
class Scored:
    pair: Pair
    estimated: float  # MinHash estimate, as DuplicateIndex compares
    exact: float  # Jaccard of the shingle sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=NEWS, help="folder of articles (title line, date line, body)")
    args = parser.parse_args()
    started = time.perf_counter()
    originals = [load_file(path) for path in sorted(args.corpus.glob("*.txt"))]

    with tempfile.TemporaryDirectory(prefix="dup-bench-") as tmp:
        workdir = Path(tmp)
        pairs, skipped, dropped_boilerplate = build_pairs(originals, workdir)
        signatures: dict[str, MinHash] = {}
        exact: dict[str, set[str]] = {}
        for doc in [*originals, *(p.second for p in pairs if p.positive)]:
            signatures[doc.source] = signature(body_text(doc))
            exact[doc.source] = shingles(body_text(doc))
        scored = [
            Scored(
                p,
                signatures[p.first.source].jaccard(signatures[p.second.source]),
                exact_jaccard(exact[p.first.source], exact[p.second.source]),
            )
            for p in pairs
        ]
        positives = [s for s in scored if s.pair.positive]
        unique: dict[tuple[str, str], Scored] = {}
        for s in scored:
            if not s.pair.positive:
                unique.setdefault(pair_key(s.pair.first, s.pair.second), s)
        negatives = list(unique.values())

        print(f"# Near-duplicate detection on {args.corpus} ({len(originals)} articles)\n")
        print(f"DUPLICATE_THRESHOLD = {DUPLICATE_THRESHOLD}; seed {SEED}\n")
        print_distributions(scored, skipped, dropped_boilerplate)
        top = sorted(negatives, key=lambda s: -s.estimated)[:5]
        print(
            "Most similar distinct articles: "
            + "; ".join(f"{name(s.pair.first)} ~ {name(s.pair.second)} {s.estimated:.3f}" for s in top)
        )
        print(f"\nPool: {len(positives)} positive pairs, {len(negatives)} unique negative pairs.")
        print_estimated(positives, negatives)
        print_pairwise_index(positives, negatives, workdir)
        print_banding()
        print_ingestion(originals, positives, workdir)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
