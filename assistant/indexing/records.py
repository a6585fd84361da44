"""JSON and JSONL article records → ``Article``s, and the date spellings they carry.

A record needs some text (``text``, ``content``, ``body`` or ``article``); ``id``,
``title``, ``url`` and a date are used when present, and every other field is kept as
metadata. In a JSONL file a bad line is warned about and skipped; a bad JSON file is
refused whole. Nesting is bounded (``indexing.limits``) before anything is parsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from assistant.errors import UnreadableFile
from assistant.indexing.limits import Limits
from assistant.indexing.news_page import clean_lines, first_sentence
from assistant.types import Article

TEXT_KEYS = ("text", "content", "body", "article")
DATE_KEYS = ("published", "date", "published_at", "datetime")

Warn = Callable[[str], None]


def record_to_article(record: dict[str, Any], source: str) -> Article:
    """A JSON object → Article; unknown fields are kept as metadata.

    Without an ``id``, the id is derived from the content, so it is stable across runs.

    :param source: the file the record came from.
    :raises ValueError: when the record is not an object or has no text.
    """
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
        title=title or first_sentence(body),
        text=text,
        source=source,
        url=str(record["url"]) if record.get("url") else None,
        published=normalize_date(record.get(date_key)) if date_key else None,
        metadata=metadata,
    )


def articles_from_jsonl(
    text: str, source: str, warn: Warn, limits: Limits | None = None
) -> list[Article]:
    """One article per line; a malformed or too deeply nested line is passed to ``warn``
    with its number, and the other lines are read."""
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            articles.append(record_to_article(_parse(line, limits), source))
        except ValueError as exc:  # UnreadableFile and JSONDecodeError are ValueErrors
            warn(f"{source}, line {number}: skipped ({_short(exc)})")
    return articles


def articles_from_json(text: str, source: str, limits: Limits | None = None) -> list[Article]:
    """A record, a list of records, or ``{"articles": [...]}``.

    :raises UnreadableFile: for malformed or too deeply nested JSON, or any record that
        cannot be an article.
    """
    try:
        data = _parse(text, limits)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{source}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    try:
        return [record_to_article(r, source) for r in records]
    except ValueError as exc:
        raise UnreadableFile(f"{source}: {exc}") from exc


def _parse(text: str, limits: Limits | None) -> Any:
    """``json.loads`` after the nesting check, so a hostile file cannot overflow the stack.

    :raises UnreadableFile: too deep, or malformed (the message does not name the file).
    """
    (limits or Limits()).check_depth(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"malformed JSON ({_short(exc)})") from exc
    except RecursionError as exc:  # only if the check and the parser ever disagree
        raise UnreadableFile("JSON nested too deeply to parse") from exc


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
