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

EMBED_SLICE = 256  # texts per embedding call: progress is reported at least this often


def embed_text(article: Article, chunk: Chunk) -> str:
    """Chunk text with its article's title, so a chunk far from the headline keeps context."""
    if chunk.start == 0 and article.text.startswith(article.title):
        return chunk.text
    return f"{article.title}\n{chunk.text}"


def sentence_spans(article: Article, chunk: Chunk) -> list[tuple[int, int]]:
    """The chunk's sentences as character ranges in ``embed_text(article, chunk)``."""
    shift = len(embed_text(article, chunk)) - len(chunk.text) - chunk.start
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
    pairs = [(a, c) for a, _, chunks in docs for c in chunks]
    texts = [embed_text(a, c) for a, c in pairs]
    pooled = embedder.settings.sentence_vectors == "pooled"
    parts: list[np.ndarray] = [np.zeros((0, embedder.dim), dtype=np.float32)]
    per_chunk: list[np.ndarray] = []
    for lo in range(0, len(texts), EMBED_SLICE):
        batch = texts[lo : lo + EMBED_SLICE]
        if pooled:
            spans = [sentence_spans(a, c) for a, c in pairs[lo : lo + EMBED_SLICE]]
            vectors, sentences = embedder.embed_chunks(batch, spans)
            per_chunk.extend(sentences)
        else:
            vectors = embedder.embed_passages(batch)
        parts.append(vectors)
        progress(len(batch))
    chunk_vectors = np.concatenate(parts)
    if not pooled:
        texts = [a.text[s.start : s.end] for a, _, cs in docs for s in unique_sentences(cs)]
        own = [parts[0]] + [
            embedder.embed_passages(texts[lo : lo + EMBED_SLICE])
            for lo in range(0, len(texts), EMBED_SLICE)
        ]
        return chunk_vectors, np.concatenate(own)
    rows: list[np.ndarray] = []
    by_chunk = iter(per_chunk)
    for _, _, chunks in docs:
        first: dict[int, np.ndarray] = {}
        for chunk in chunks:
            for span, vector in zip(chunk.sentences, next(by_chunk), strict=True):
                first.setdefault(span.start, vector)
        rows.extend(first[s.start] for s in unique_sentences(chunks))
    empty = np.zeros((0, embedder.dim), dtype=np.float32)
    return chunk_vectors, np.stack(rows) if rows else empty
