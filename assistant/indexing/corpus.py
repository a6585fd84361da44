"""Articles on disk → clean ``Article`` records.

Scraped news pages carry a lot that is not the article: related-article teasers,
image captions, "AI에 의해 …" labels, cookie banners. Indexing them as part of the
article would let a teaser about another story answer for it, so a page becomes the
main article plus one article per related summary, and the boilerplate is dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

from assistant.errors import UnreadableFile
from assistant.text.korean import has_hangul
from assistant.types import Article

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl"})
RELATED_HEADERS = frozenset({"관련 기사", "관련기사", "관련 뉴스", "관련뉴스", "함께 볼만한 뉴스"})
# Whole lines that are never article text.
BOILERPLATE_LINES = re.compile(
    r"^(거부|수락|동의|확인|닫기|모두 수락|모두 거부|accept|reject|close)$", re.IGNORECASE
)
# Labels that scrapers leave inside lines; removed wherever they stand.
BOILERPLATE_LABELS = re.compile(r"AI에 의해 (생성된 이미지|보고됨)")
COOKIE_BANNER = re.compile(
    r"쿠키를 사용합니다|쿠키를 사용|개인정보 보호 정책|cookie", re.IGNORECASE
)
TITLE_MAX_CHARS = 120
HEADLINE_MAX_CHARS = 80

Warn = Callable[[str], None]


# ----------------------------------------------------------------------------- files


def find_files(paths: Iterable[Path | str]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every supported file under the given files or folders."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES and not _hidden(f, path):
                    yield f, path
        elif path.is_file():
            yield path, path.parent
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts)


def decode(data: bytes, name: str = "file") -> str:
    """Decode UTF-8 (with or without BOM) or CP949/EUC-KR, else the best guess.

    Korean files from Windows tools are often CP949; guessing first would sometimes pick
    a wrong single-byte code page, so the two encodings we expect are tried strictly first.
    """
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(f"{name}: binary data (NUL bytes), not a text file")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return unicodedata.normalize("NFC", data.decode(encoding))
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None or best.percent_chaos > 0.2:
        raise UnreadableFile(f"{name}: not text in UTF-8, CP949/EUC-KR or any known encoding")
    return unicodedata.normalize("NFC", str(best))


def load_file(path: Path, root: Path, warn: Warn | None = None) -> list[Article]:
    """Parse one file into articles; raises UnreadableFile for what cannot be text."""
    warn = warn or log.warning
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    base_id = rel.rsplit(".", 1)[0]
    text = decode(path.read_bytes(), rel)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _from_jsonl(text, rel, warn)
    if suffix == ".json":
        return _from_json(text, rel)
    if suffix in {".html", ".htm"}:
        title, body, url = _html_text(text)
        return split_news_page(body, base_id, rel, title=title, url=url)
    return split_news_page(text, base_id, rel)


def load_corpus(
    paths: Iterable[Path | str], warn: Warn | None = None
) -> Iterator[tuple[Path, list[Article]]]:
    """Yield (file, articles) per readable file; unreadable ones are warned about and skipped."""
    warn = warn or log.warning
    for f, root in find_files(paths):
        try:
            yield f, load_file(f, root, warn)
        except (UnreadableFile, OSError) as exc:
            warn(f"skipped {f}: {exc}")


# ------------------------------------------------------------------------- news pages


def clean_lines(text: str) -> list[str]:
    """Lines with boilerplate removed; blank strings keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    raw = [BOILERPLATE_LABELS.sub("", line).strip() for line in text.split("\n")]
    korean = has_hangul(text)
    out: list[str] = []
    for line in raw:
        if COOKIE_BANNER.search(line) or BOILERPLATE_LINES.match(line):
            line = ""
        elif korean and line and not has_hangul(line):
            line = ""  # English image captions and stray markup in a Korean page
        out.append(re.sub(r"[ \t]+", " ", line))
    return out


def _blocks(lines: list[str]) -> list[str]:
    blocks, current = [], []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks


def _is_headline(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= HEADLINE_MAX_CHARS
        and not block.rstrip().endswith((".", "다", "?", "!", "…"))
    )


def split_news_page(
    text: str, base_id: str, source: str, *, title: str | None = None, url: str | None = None
) -> list[Article]:
    """The main article, then one article per related summary after a '관련 기사' line."""
    lines = clean_lines(text)
    cut = next((i for i, line in enumerate(lines) if line in RELATED_HEADERS), len(lines))
    main_blocks = _blocks(lines[:cut])
    related_blocks = _blocks(lines[cut + 1 :])
    articles: list[Article] = []
    if main_blocks:
        if (title is None and _is_headline(main_blocks[0])) or (
            title is None and len(main_blocks[0]) <= TITLE_MAX_CHARS and len(main_blocks) > 1
        ):
            title = main_blocks.pop(0)
        body = "\n\n".join(main_blocks)
        head = title or _first_sentence(body)
        full = f"{head}\n\n{body}" if title and body else (body or head)
        articles.append(Article(base_id, head, full, source, url=url, metadata={"kind": "main"}))
    headline: str | None = None
    n = 0
    for block in related_blocks:
        if _is_headline(block):
            headline = block
            continue
        n += 1
        head = headline or _first_sentence(block)
        full = f"{headline}\n\n{block}" if headline else block
        articles.append(
            Article(
                f"{base_id}-r{n}",
                head,
                full,
                source,
                metadata={"kind": "related", "parent": base_id},
            )
        )
        headline = None
    return articles


def _first_sentence(text: str, limit: int = 60) -> str:
    first = re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _html_text(html: str) -> tuple[str | None, str, str | None]:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "header", "form", "aside"]):
        tag.decompose()
    for fig in soup.find_all("figcaption"):
        fig.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    if title_tag is not None and title_tag.name == "h1":
        title_tag.decompose()
    canonical = soup.find("link", rel="canonical") or soup.find("meta", property="og:url")
    url = None
    if canonical is not None:
        url = canonical.get("href") or canonical.get("content")
    root = soup.find("article") or soup.body or soup
    blocks = [el.get_text(" ", strip=True) for el in root.find_all(["p", "h2", "h3", "li"])]
    body = "\n\n".join(b for b in blocks if b) or root.get_text("\n", strip=True)
    return title, body, str(url) if url else None


# ------------------------------------------------------------------------- JSON records

TEXT_KEYS = ("text", "content", "body", "article")
DATE_KEYS = ("published", "date", "published_at", "datetime")


def record_to_article(record: dict[str, Any], source: str) -> Article:
    """A JSON object → Article; unknown fields are kept as metadata."""
    if not isinstance(record, dict):
        raise ValueError("record is not a JSON object")
    text_key = next((k for k in TEXT_KEYS if isinstance(record.get(k), str)), None)
    if text_key is None or not record[text_key].strip():
        raise ValueError(f"record has no text (expected one of {', '.join(TEXT_KEYS)})")
    date_key = next((k for k in DATE_KEYS if record.get(k)), None)
    title = str(record.get("title") or "").strip()
    body = "\n".join(line for line in clean_lines(str(record[text_key])))
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    text = f"{title}\n\n{body}" if title else body
    taken = {"id", "title", "url", text_key, date_key}
    metadata = {k: _scalar(v) for k, v in record.items() if k not in taken and v is not None}
    doc_id = str(record["id"]) if record.get("id") not in (None, "") else _content_id(text)
    return Article(
        doc_id=doc_id,
        title=title or _first_sentence(body),
        text=text,
        source=source,
        url=str(record["url"]) if record.get("url") else None,
        published=normalize_date(record.get(date_key)) if date_key else None,
        metadata=metadata,
    )


def _from_jsonl(text: str, source: str, warn: Warn) -> list[Article]:
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            articles.append(record_to_article(json.loads(line), source))
        except (json.JSONDecodeError, ValueError) as exc:
            warn(f"{source}, line {number}: skipped ({_short(exc)})")
    return articles


def _from_json(text: str, source: str) -> list[Article]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"{source}: malformed JSON ({_short(exc)})") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    try:
        return [record_to_article(r, source) for r in records]
    except ValueError as exc:
        raise UnreadableFile(f"{source}: {exc}") from exc


def _short(exc: Exception) -> str:
    return str(exc).split("\n")[0][:120]


def _content_id(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def normalize_date(value: Any) -> str | None:
    """ISO date (YYYY-MM-DD) from common date spellings, or None if it is not a date."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    s = str(value).strip().replace(".", "-").replace("/", "-")
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", s) or re.match(
        r"(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일", str(value)
    )
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None
