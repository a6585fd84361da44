"""A document as one record of the Chroma server: everything a replica's catalog needs.

With a Chroma server, the server is the one source of truth (see ``server_catalog``): each
document is one record of the ``NAME-docs`` collection carrying its fields, its chunks
with sentence offsets, each chunk's BM25 morphemes and its sentence vectors, so that any
replica can rebuild its local catalog from the server alone. The bulky part is one
compressed field (``payload``: zlib over JSON, vectors as float16 bytes); the fields a
filter or a reader of the raw collection may want stay plain.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.storage.keys import unique_sentences
from assistant.types import Article, Chunk, Span

FORMAT = 1  # the payload's layout; a record of another format is refused, never misread


@dataclass(frozen=True, slots=True)
class DocRecord:
    """One document as the catalog lists it: the article, its file, chunks, terms and the
    vectors of ``unique_sentences(chunks)`` in that order (float16)."""

    article: Article
    path: str
    chunks: tuple[Chunk, ...]
    terms: tuple[tuple[str, ...], ...]
    sentence_vectors: np.ndarray


def encode(record: DocRecord) -> dict[str, Any]:
    """The record's Chroma metadata (Chroma takes no None values, so none are written)."""
    a = record.article
    payload = {
        "text": a.text,
        "url": a.url,
        "published": a.published,
        "metadata": a.metadata,
        "chunks": [
            [c.chunk_id, c.index, c.start, c.end, [[s.start, s.end] for s in c.sentences]]
            for c in record.chunks
        ],
        "terms": [" ".join(t) for t in record.terms],
        "dim": int(record.sentence_vectors.shape[1]) if record.sentence_vectors.ndim == 2 else 0,
        "vectors": base64.b64encode(
            np.asarray(record.sentence_vectors, dtype=np.float16).tobytes()
        ).decode("ascii"),
    }
    packed = zlib.compress(json.dumps(payload, ensure_ascii=False, default=str).encode(), 6)
    return {
        "kind": "doc",
        "format": FORMAT,
        "path": record.path,
        "hash": a.content_hash,
        "title": a.title,
        "source": a.source,
        "payload": base64.b64encode(packed).decode("ascii"),
    }


def decode(doc_id: str, meta: dict[str, Any]) -> DocRecord:
    """The record ``encode`` made for ``doc_id``.

    :raises ValueError: the record is of another format, or its payload is damaged.
    """
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"document {doc_id!r} on the Chroma server has record format "
            f"{meta.get('format')!r}, this version reads {FORMAT}"
        )
    try:
        payload = json.loads(zlib.decompress(base64.b64decode(meta["payload"])))
    except (KeyError, ValueError, zlib.error) as exc:
        raise ValueError(f"document {doc_id!r} on the Chroma server is damaged: {exc}") from exc
    article = Article(
        doc_id=doc_id,
        title=str(meta["title"]),
        text=payload["text"],
        source=str(meta["source"]),
        url=payload["url"],
        published=payload["published"],
        metadata=payload["metadata"],
    )
    chunks = tuple(
        Chunk(
            chunk_id=cid,
            doc_id=doc_id,
            index=idx,
            text=article.text[start:end],
            start=start,
            end=end,
            sentences=tuple(Span(s, e) for s, e in spans),
        )
        for cid, idx, start, end, spans in payload["chunks"]
    )
    dim = int(payload["dim"])
    raw = np.frombuffer(base64.b64decode(payload["vectors"]), dtype=np.float16)
    vectors = raw.reshape(-1, dim) if dim else raw.reshape(0, 0)
    if len(vectors) != len(unique_sentences(chunks)):
        raise ValueError(f"document {doc_id!r} on the Chroma server lacks sentence vectors")
    terms = tuple(tuple(t.split()) for t in payload["terms"])
    return DocRecord(article, str(meta["path"]), chunks, terms, vectors)


def records(
    docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
    chunk_terms: Sequence[Sequence[str]],
    sentence_vectors: np.ndarray,
) -> list[DocRecord]:
    """Split what ``Store.add`` is given (flat terms and vectors) into one record per
    document.

    :raises ValueError: the terms or vectors do not match the chunks and sentences.
    """
    out: list[DocRecord] = []
    t = s = 0
    for article, path, chunks in docs:
        n_sent = len(unique_sentences(chunks))
        terms = tuple(tuple(x) for x in chunk_terms[t : t + len(chunks)])
        vecs = np.asarray(sentence_vectors[s : s + n_sent])
        if len(terms) != len(chunks) or len(vecs) != n_sent:
            raise ValueError(f"terms or sentence vectors missing for {article.doc_id!r}")
        out.append(DocRecord(article, path, tuple(chunks), terms, vecs))
        t, s = t + len(chunks), s + n_sent
    return out
