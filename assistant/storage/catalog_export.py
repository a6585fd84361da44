"""Reading whole documents back out of the catalog, a page at a time.

An index written while the local catalog was the record (before the Chroma server kept
it) is adopted by a server (``mirror.adopt``): every document goes up with its chunks
and morphemes, as the catalog stores them, so nothing is embedded or analysed again.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from assistant.types import Article, Chunk, Span


class Export:
    """The export query; ``Catalog`` mixes it in (its ``_db``)."""

    _db: sqlite3.Connection

    def export(self, after: str, limit: int) -> list[tuple[Article, str, list[Chunk], list[str]]]:
        """Up to ``limit`` whole documents with ids after ``after``, by id: (article, path,
        chunks, each chunk's terms) — what a server index adopting this catalog needs."""
        docs = self._db.execute(
            "SELECT doc_id, title, text, source, url, published, metadata, path FROM docs "
            "WHERE doc_id > ? ORDER BY doc_id LIMIT ?",
            (after, limit),
        ).fetchall()
        if not docs:
            return []
        by_doc: dict[str, list[tuple[Any, ...]]] = {}
        for row in self._db.execute(  # the page's chunks in one query, not one per document
            "SELECT doc_id, chunk_id, idx, start, end, sentences, terms FROM chunks "
            "WHERE doc_id > ? AND doc_id <= ? ORDER BY doc_id, idx",
            (after, docs[-1][0]),
        ):
            by_doc.setdefault(row[0], []).append(row[1:])
        out = []
        for d in docs:
            rows = by_doc.get(d[0], [])
            chunks = [
                Chunk(r[0], d[0], r[1], d[2][r[2] : r[3]], r[2], r[3], _spans(r[4])) for r in rows
            ]
            out.append(
                (Article(*d[:6], metadata=json.loads(d[6])), d[7], chunks, [r[5] for r in rows])
            )
        return out


def _spans(stored: str) -> tuple[Span, ...]:
    return tuple(Span(s, e) for s, e in json.loads(stored))
