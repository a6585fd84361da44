"""Index keys: how files, documents, sentences and publication dates are named in every
part of the store.

The catalog, the vector collections and the BM25 index must agree on these, and the
readers above (retrieval, answering) build lookups and filters with them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath

from assistant.types import Chunk, Span


def sentence_id(doc_id: str, span: Span) -> str:
    """The key of a sentence vector: unique per document, stable while the text is unchanged."""
    return f"{doc_id}@{span.start}"


def sentence_key(sentence: str) -> tuple[str, int]:
    """(doc_id, start) of a ``sentence_id``; the catalog's key of its vector."""
    doc_id, _, start = sentence.rpartition("@")
    return doc_id, int(start)


def unique_sentences(chunks: Iterable[Chunk]) -> list[Span]:
    """Each sentence of a document once, in first-seen order, though overlapping chunks
    repeat some; sentence vectors are stored and embedded in this order."""
    seen: dict[int, Span] = {}
    for chunk in chunks:
        for span in chunk.sentences:
            seen.setdefault(span.start, span)
    return list(seen.values())


def day_number(published: str | None) -> int:
    """YYYY-MM-DD → YYYYMMDD (0 when unknown), so Chroma and numpy filter dates as integers."""
    return int(published.replace("-", "")) if published else 0


def path_text(path: str | PurePath) -> str:
    """A file path as text that SQLite, JSON and hashing accept, the same on every run.

    A name with bytes that are not UTF-8 decodes to lone surrogates, which cannot be
    encoded; those bytes are written as ``\\xff`` escapes instead.
    """
    raw = os.fspath(path)
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_key(source: str, path: str | PurePath) -> str:
    """The catalog's key of a file ingested into ``source``: one file may belong to two
    sources (a folder and its subfolder ingested apart) without their records colliding.

    :param path: the file's absolute path.
    """
    return f"{source}:{path_text(path)}"


def key_path(key: str) -> str:
    """The path part of a file key (``source:path``), for messages."""
    return key.split(":", 1)[-1]


def scoped_id(source: str, doc_id: str) -> str:
    """A document id qualified by its source, so equal names in two folders never collide."""
    return f"{source}/{doc_id}"
