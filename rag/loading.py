"""Loading: files on disk -> `LoadedDocument`s with metadata and the spans worth indexing.

Plain text, Markdown (optional YAML front matter) and HTML (main text through trafilatura) are
read. Boilerplate lines (calls to action, app downloads, "listen to this article") are dropped by
general rules; photo captions are kept as their own segments, marked `caption`. Offsets always
index `LoadedDocument.text`, which for `.txt`/`.md` is the file as `Path.read_text()` returns it.

Usage:
    >>> doc = load_file(Path("corpus/2025-12-03-putin-witkoff-cremlino.txt"))  # doctest: +SKIP
    >>> doc.date, doc.lang
    ('2025-12-03', 'it')
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from rag.dates import dateline_date, publication_date
from rag.errors import RagError
from rag.fetching import WEB_SCHEMES
from rag.language import detect_language, language_confidence
from rag.languages import boilerplate_pattern, credit_words

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES
META_SUFFIX = ".meta.json"


class LoadError(RagError):
    """A file cannot be ingested; the message is the reason shown in the ingest report."""


@dataclass(frozen=True)
class Segment:
    """A span of `LoadedDocument.text` worth indexing."""

    start: int
    end: int
    kind: str  # "title" | "body" | "caption"


@dataclass(frozen=True)
class LoadedDocument:
    source: str
    text: str
    segments: tuple[Segment, ...]
    title: str
    lang: str
    date: str | None = None
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    dropped_lines: tuple[str, ...] = field(default=(), repr=False)


_META_KEYS = {"title", "date", "url", "outlet", "author", "lang"}  # what front matter and sidecars may set
_MAX_TITLE_CHARS = 300
_DATE_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(\S.*?)\s*$", re.IGNORECASE)
# Photo agencies and credit markers that read the same in every language; each language's own
# credit words ("foto", "photo") come from the language table.
_AGENCIES = (
    "getty",
    "images?",
    "ap",
    "afp",
    "reuters",
    "ansa",
    "epa",
    "sputnik",
    "anadolu",
    "via",
    "shutterstock",
    "lapresse",
    "pool",
)
_CREDIT = re.compile(rf"\b(?:{'|'.join((*_AGENCIES, *credit_words()))})\b|\w/\w", re.IGNORECASE)
_TRAILING_PARENS = re.compile(r"\(([^()]*)\)\s*$")
_MAX_BOILERPLATE_WORDS = 25


def is_boilerplate(line: str) -> bool:
    """A short line that shouts or asks the reader to do something."""
    if len(line.split()) > _MAX_BOILERPLATE_WORDS:
        return False
    letters = [c for c in line if c.isalpha()]
    shouting = len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return shouting or bool(boilerplate_pattern().search(line))


def is_caption(line: str) -> bool:
    """A paragraph that ends with a photo credit in parentheses."""
    credit = _TRAILING_PARENS.search(line)
    return bool(credit and _CREDIT.search(credit.group(1)))


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders into supported files; name what cannot be read and why."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
            )
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                skipped.append((str(path), f"unsupported file type '{path.suffix}' (use .txt, .md or .html)"))
        else:
            skipped.append((str(path), "no such file or folder"))
    return files, skipped


def decode(data: bytes) -> str:
    """Bytes -> text: BOMs first, then UTF-8, then charset detection; newlines as read_text() gives."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(f"not readable as UTF-16 text ({exc.reason})") from exc
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _detect_and_decode(data)
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise LoadError("binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _detect_and_decode(data: bytes) -> str:
    """charset-normalizer's candidates (plus cp1252), the one that reads most surely as a language.

    On short texts its first guess can be a DOS code page ('è' -> '×'); a language identifier
    tells the right decoding from mojibake.
    """
    from charset_normalizer import from_bytes

    decodings = [str(match) for match in from_bytes(data)][:8]
    with contextlib.suppress(UnicodeDecodeError):
        decodings.append(data.decode("cp1252"))
    if not decodings:
        raise LoadError("binary content, not text (no text encoding fits)")
    sample = 2000
    return max(decodings, key=lambda text: language_confidence(text[:sample]))


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    return controls / len(text)


def load_file(path: Path, max_bytes: int = 10_000_000) -> LoadedDocument:
    """Read one file; raise `LoadError` with the reason when it cannot be ingested."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (RAG_MAX_FILE_BYTES)")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError("empty file")
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        text, meta = _html_text(decode(data))
    else:
        text = decode(data)
        meta = {}
    front_end = 0
    if suffix in MARKDOWN_SUFFIXES:
        meta, front_end = _front_matter(text)
    meta.update(_sidecar(path))
    return build_document(str(path), text, meta, body_from=front_end, markdown=suffix in MARKDOWN_SUFFIXES)


def load_page(url: str, body: bytes, content_type: str, hints: dict[str, str] | None = None) -> LoadedDocument:
    """A fetched web page as an article whose source is its canonical URL.

    The page's own metadata (trafilatura/htmldate: title, date, author, site name, canonical URL)
    comes first, then `hints` (a feed entry's title and date), then the dateline rules; the outlet
    falls back to the host name.

    :param url: the URL the page was fetched from, after redirects.
    :param body: the response body.
    :param content_type: its media type; `text/plain` is read as a plain-text article.
    :param hints: metadata to use where the page has none.
    """
    text = decode(body)
    meta: dict[str, str] = {}
    if content_type != "text/plain":
        text, meta = _html_text(text)
    canonical = _canonical(url, meta.get("url", ""))
    for key, value in (hints or {}).items():
        meta.setdefault(key, value)
    meta["url"] = canonical
    meta.setdefault("outlet", (urlsplit(canonical).hostname or "").removeprefix("www."))
    return build_document(canonical, text, meta)


def _canonical(url: str, declared: str) -> str:
    """The page's own canonical URL, if it names one on the same host that is not the site's root.

    A page may not claim another site's article (it would replace that article's chunks), and a
    canonical of "/" (a common misconfiguration) would put every page of a site under one source.
    """
    try:
        canonical = urlsplit(urljoin(url, declared))
    except ValueError:
        return url
    same_host = canonical.hostname == urlsplit(url).hostname
    if not declared or canonical.scheme not in WEB_SCHEMES or not same_host or canonical.path in {"", "/"}:
        return url
    return canonical.geturl()


def build_document(
    source: str, text: str, meta: dict[str, str] | None = None, *, body_from: int = 0, markdown: bool = False
) -> LoadedDocument:
    """Segment `text` into title/body/caption spans and fill in metadata."""
    meta = dict(meta or {})
    segments: list[Segment] = []
    dropped: list[str] = []
    run: list[tuple[int, int]] = []  # consecutive body lines, merged into one segment

    def close_run() -> None:
        if run:
            segments.append(Segment(run[0][0], run[-1][1], "body"))
            run.clear()

    lines = list(_content_lines(text, body_from))
    skip = _layout(text, lines, meta, segments, markdown)
    for index, (start, end) in enumerate(lines):
        line = text[start:end]
        if index < skip:
            continue
        if index == skip and "date" not in meta and (found := dateline_date(line)):
            meta["date"] = found
        if markdown and line.startswith("#"):
            close_run()
            heading = line.lstrip("#").strip()
            if heading:
                meta.setdefault("title", heading)
                offset = start + line.index(heading)
                segments.append(Segment(offset, offset + len(heading), "title"))
            continue
        if is_boilerplate(line) or (markdown and line.startswith("![")):
            close_run()
            dropped.append(line)
        elif is_caption(line):
            close_run()
            segments.append(Segment(start, end, "caption"))
        else:
            run.append((start, end))
    close_run()
    if not segments:
        raise LoadError("no article text left after removing boilerplate")
    body = " ".join(text[s.start : s.end] for s in segments if s.kind == "body") or text
    title = meta.get("title") or _fallback_title(body)
    return LoadedDocument(
        source=source,
        text=text,
        segments=tuple(segments),
        title=str(title),
        lang=str(meta.get("lang") or detect_language(body[:3000])),
        date=_iso_date(meta.get("date")),
        url=meta.get("url"),
        outlet=meta.get("outlet"),
        author=meta.get("author"),
        dropped_lines=tuple(dropped),
    )


def _layout(
    text: str, lines: list[tuple[int, int]], meta: dict[str, str], segments: list[Segment], markdown: bool
) -> int:
    """Read a title and date from the head of the text; how many lines they took.

    Two plain-text layouts: `date YYYY-MM-DD <title>` on the first line, or a title line followed
    by a line that is only a date ("1 marzo 2008", "March 01, 2008"). Front matter and sidecar
    metadata win over both; the title segment is indexed, the date line is not. A first line that
    is the title the metadata names (a web page's heading) is the title segment too, so a dateline
    may open the line after it.
    """
    if not lines:
        return 0
    first = text[slice(*lines[0])]
    header = _DATE_HEADER.match(first)
    if header:
        meta.setdefault("date", header.group(1))
        meta.setdefault("title", header.group(2))
        title_start = lines[0][0] + header.start(2)
        segments.append(Segment(title_start, title_start + len(header.group(2)), "title"))
        return 1
    date = publication_date(text[slice(*lines[1])]) if len(lines) > 1 and not markdown else None
    if date is None or is_boilerplate(first) or len(first) > _MAX_TITLE_CHARS:
        if first == meta.get("title", "").strip():  # a web page's heading, as its metadata names it
            segments.append(Segment(*lines[0], "title"))
            return 1
        return 0
    meta.setdefault("date", date)
    meta.setdefault("title", first)
    segments.append(Segment(*lines[0], "title"))
    return 2


def _content_lines(text: str, begin: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line from `begin`, surrounding whitespace excluded."""
    for match in re.finditer(r"[^\n]+", text[begin:]):
        raw = match.group()
        stripped = raw.strip().lstrip("\ufeff")
        if stripped:
            offset = begin + match.start() + raw.index(stripped)
            yield offset, offset + len(stripped)


def _fallback_title(body: str, limit: int = 90) -> str:
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _iso_date(value: object) -> str | None:
    if value is None or value == "":
        return None
    match = re.search(r"\d{4}-\d{2}-\d{2}", str(value))
    return match.group() if match else None


def _front_matter(text: str) -> tuple[dict[str, str], int]:
    match = re.match(r"\A\ufeff?---\n(.*?)\n---[ \t]*(\n|\Z)", text, re.DOTALL)
    if not match:
        return {}, 0
    import yaml

    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        logger.warning("ignoring unreadable front matter: %s", exc)
        return {}, match.end()
    if not isinstance(data, dict):
        return {}, match.end()
    return {k: str(v) for k, v in data.items() if k in _META_KEYS and v}, match.end()


def _sidecar(path: Path) -> dict[str, str]:
    meta_path = path.with_name(path.name + META_SUFFIX)
    if not meta_path.is_file():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", meta_path, exc)
        return {}
    return {k: str(v) for k, v in data.items() if k in _META_KEYS and v}


_HIDDEN_XPATH = (
    "//script|//style|//noscript|//template|//iframe|//object|//embed|//svg|//form|//*[@hidden]"
    "|//*[@aria-hidden='true']"
    # translate() lower-cases the style and deletes its spaces, so "Display : None" matches too.
    "|//*[contains(translate(@style,'ABCDEFGHIJKLMNOPQRSTUVWXYZ ','abcdefghijklmnopqrstuvwxyz'),'display:none')]"
    "|//*[contains(translate(@style,'ABCDEFGHIJKLMNOPQRSTUVWXYZ ','abcdefghijklmnopqrstuvwxyz'),'visibility:hidden')]"
)


def _html_text(html: str) -> tuple[str, dict[str, str]]:
    """Main text of an article page; scripts, styles and hidden elements never reach it."""
    import lxml.html
    import trafilatura

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise LoadError(f"unreadable HTML: {exc}") from exc
    for element in tree.xpath(_HIDDEN_XPATH):
        element.drop_tree()
    cleaned = lxml.html.tostring(tree, encoding="unicode")
    text = trafilatura.extract(cleaned, include_comments=False, include_tables=True, include_links=False)
    if not text:
        body = tree.find("body")
        text = "\n".join(t.strip() for t in (body if body is not None else tree).itertext() if t.strip())
    if not text.strip():
        raise LoadError("no article text found in the HTML")
    meta: dict[str, str] = {}
    # Only the page's markup dates it (meta tags, JSON-LD, <time>): htmldate's extensive search
    # would take any date quoted in the body ("maggio 2008") as the publication date.
    found = trafilatura.extract_metadata(cleaned, extensive=False)
    if found is not None:
        for key, attr in (
            ("title", "title"),
            ("date", "date"),
            ("url", "url"),
            ("outlet", "sitename"),
            ("author", "author"),
        ):
            value = getattr(found, attr, None)
            if value:
                meta[key] = str(value)
    return text, meta
