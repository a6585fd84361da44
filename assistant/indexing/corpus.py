"""Articles on disk → clean ``Article`` records, each file read by the rule for its suffix.

``.jsonl`` and ``.json`` files hold records (:mod:`~assistant.indexing.records`);
``.html``/``.htm`` pages are reduced to their text (:mod:`~assistant.indexing.html_page`);
everything else is plain text. Pages and text files are then split into the main article
and its related summaries (:mod:`~assistant.indexing.news_page`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.errors import UnreadableFile
from assistant.indexing.files import decode, find_files
from assistant.indexing.html_page import html_text
from assistant.indexing.limits import Limits
from assistant.indexing.news_page import split_news_page
from assistant.indexing.records import Warn, articles_from_json, articles_from_jsonl
from assistant.storage.keys import path_text
from assistant.types import Article

log = logging.getLogger(__name__)


def load_file(
    path: Path,
    root: Path,
    warn: Warn | None = None,
    *,
    limits: Limits | None = None,
    data: bytes | None = None,
) -> list[Article]:
    """Parse one file into articles.

    :param root: ids and sources are the file's path relative to it (without suffix for
        ids), as text that any name can be written in (``keys.path_text``).
    :param warn: receives per-record problems (a bad JSONL line, a document over the
        length limit); default: a log warning.
    :param limits: the most a file and a document may be (default: ``Limits()``).
    :param data: the file's bytes when the caller has read them already.
    :raises UnreadableFile: for what cannot be text, or not the format its name says, or a
        file over the size limit, or a page over the document limit.
    """
    warn = warn or log.warning
    limits = limits or Limits()
    rel = path_text(path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name)
    base_id = rel.rsplit(".", 1)[0]
    if data is None:
        limits.check_size(path.stat().st_size, rel)
        data = path.read_bytes()
    limits.check_size(len(data), rel)
    text = decode(data, rel)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        articles = articles_from_jsonl(text, rel, warn, limits)
    elif suffix == ".json":
        articles = articles_from_json(text, rel, limits)
    else:
        if reason := limits.document_too_long(len(text), rel):
            raise UnreadableFile(reason)
        if suffix in {".html", ".htm"}:
            title, body, url = html_text(text)
            articles = split_news_page(body, base_id, rel, title=title, url=url)
        else:
            articles = split_news_page(text, base_id, rel)
        if not articles and text.strip():
            warn(f"{rel}: no article text found (only boilerplate lines); nothing ingested")
    return [a for a in articles if not _too_long(a, limits, warn)]


def _too_long(article: Article, limits: Limits, warn: Warn) -> bool:
    reason = limits.document_too_long(len(article.text), f"{article.source} ({article.doc_id})")
    if reason:
        warn(f"skipped {reason}")
    return reason is not None


def load_corpus(
    paths: Iterable[Path | str], warn: Warn | None = None
) -> Iterator[tuple[Path, list[Article]]]:
    """Yield (file, articles) per readable file; unreadable ones are warned about and skipped."""
    warn = warn or log.warning
    for f, root in find_files(paths, warn):
        try:
            yield f, load_file(f, root, warn)
        except (UnreadableFile, OSError) as exc:
            warn(f"skipped {path_text(f)}: {exc}")
