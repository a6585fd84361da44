"""Chunks → vectors: each chunk and each of its document's sentences, for the store.

With ``sentence_vectors = "separate"`` (the default) every sentence is embedded on its
own as well as its chunk; ``"pooled"`` takes a sentence's vector from its chunk's forward
pass (``Embedder.embed_chunks``), so ingest pays for one pass per chunk, but the answers
it gives were measured worse (BENCHMARKS.md, "Sentence vectors").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.storage.keys import unique_sentences
from assistant.types import Article, Chunk

if TYPE_CHECKING:  # the analysis workers import this module and need no model code
    from assistant.models.embedder import Embedder

EMBED_SLICE = 64  # chunks per embedding call: progress is reported at least this often


def embed_text(article: Article, chunk: Chunk) -> str:
    """Chunk text with its article's title, so a chunk far from the headline keeps context."""
    if chunk.start == 0 and article.text.startswith(article.title):
        return chunk.text
    return f"{article.title}\n{chunk.text}"


def sentence_spans(text: str, chunk: Chunk) -> list[tuple[int, int]]:
    """The chunk's sentences as character ranges in ``text``, its ``embed_text``."""
    shift = len(text) - len(chunk.text) - chunk.start  # the title put before the chunk
    return [(s.start + shift, s.end + shift) for s in chunk.sentences]


def embed_documents(
    embedder: Embedder,
    docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
    progress: Callable[[int], object] = lambda n: None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of every chunk of ``docs`` and of each document's ``unique_sentences``.

    :param embedder: the passage embedder; its settings say pooled or separate.
    :param docs: (article, file key, chunks) per document.
    :param progress: called with the number of chunks embedded, slice by slice.
    :returns: (chunks, dim) vectors in chunk order, and (sentences, dim) vectors in
        ``unique_sentences`` order, a sentence taken from the first chunk that has it.
    """
    empty = np.zeros((0, embedder.dim), dtype=np.float32)
    chunks = [c for _, _, cs in docs for c in cs]
    texts = [embed_text(a, c) for a, _, cs in docs for c in cs]
    if embedder.settings.sentence_vectors == "separate":
        return _separate(embedder, texts, _new_sentences(docs), empty, progress)
    parts, per_chunk = [empty], []
    for lo in range(0, len(texts), EMBED_SLICE):
        batch = texts[lo : lo + EMBED_SLICE]
        part = chunks[lo : lo + EMBED_SLICE]
        spans = [sentence_spans(t, c) for t, c in zip(batch, part, strict=True)]
        vectors, sentence_rows = embedder.embed_chunks(batch, spans)
        parts.append(vectors)
        per_chunk.extend(sentence_rows)
        progress(len(batch))
    rows: list[np.ndarray] = []
    by_chunk = iter(per_chunk)
    for _, _, cs in docs:
        first: dict[int, np.ndarray] = {}
        for chunk in cs:
            for span, vector in zip(chunk.sentences, next(by_chunk), strict=True):
                first.setdefault(span.start, vector)
        rows.extend(first[s.start] for s in unique_sentences(cs))
    return np.concatenate(parts), np.stack(rows) if rows else empty


def _new_sentences(docs: Sequence[tuple[Article, str, Sequence[Chunk]]]) -> list[list[str]]:
    """Per chunk, the texts of its document's ``unique_sentences`` first seen in it."""
    out: list[list[str]] = []
    for article, _, cs in docs:
        seen: set[int] = set()
        for chunk in cs:
            fresh = [s for s in chunk.sentences if s.start not in seen]
            seen.update(s.start for s in fresh)
            out.append([article.text[s.start : s.end] for s in fresh])
    return out


def _separate(
    embedder: Embedder,
    texts: list[str],
    sentences: list[list[str]],
    empty: np.ndarray,
    progress: Callable[[int], object],
) -> tuple[np.ndarray, np.ndarray]:
    """Chunks and their new sentences, slice by slice of ``EMBED_SLICE`` chunks, so the
    progress reported after each slice counts chunks whose every pass is done."""
    chunk_parts, sentence_parts = [empty], [empty]
    for lo in range(0, len(texts), EMBED_SLICE):
        chunk_parts.append(embedder.embed_passages(texts[lo : lo + EMBED_SLICE]))
        owned = [t for per_chunk in sentences[lo : lo + EMBED_SLICE] for t in per_chunk]
        if owned:
            sentence_parts.append(embedder.embed_passages(owned))
        progress(len(chunk_parts[-1]))
    return np.concatenate(chunk_parts), np.concatenate(sentence_parts)
