"""Index keys: how sentences and publication dates are named in every part of the store.

The catalog, the vector collections and the BM25 index must agree on these, and the
readers above (retrieval, answering) build lookups and filters with them.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.types import Chunk, Span


def sentence_id(doc_id: str, span: Span) -> str:
    """The key of a sentence vector: unique per document, stable while the text is unchanged."""
    return f"{doc_id}@{span.start}"


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
