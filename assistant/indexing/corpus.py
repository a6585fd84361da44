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
from assistant.indexing.news_page import split_news_page
from assistant.indexing.records import Warn, articles_from_json, articles_from_jsonl
from assistant.types import Article

log = logging.getLogger(__name__)


def load_file(path: Path, root: Path, warn: Warn | None = None) -> list[Article]:
    """Parse one file into articles.

    :param root: ids and sources are the file's path relative to it (without suffix for ids).
    :param warn: receives per-record problems (a bad JSONL line); default: a log warning.
    :raises UnreadableFile: for what cannot be text, or not the format its name says.
    """
    warn = warn or log.warning
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    base_id = rel.rsplit(".", 1)[0]
    text = decode(path.read_bytes(), rel)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return articles_from_jsonl(text, rel, warn)
    if suffix == ".json":
        return articles_from_json(text, rel)
    if suffix in {".html", ".htm"}:
        title, body, url = html_text(text)
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
