"""Small articles, chunks and fake vectors for the storage unit tests (no model).

Chunks are two sentences wide and overlap by one, as the real chunker's do, so
``unique_sentences`` has repeats to drop. Vectors are seeded random numbers; morphemes
are whitespace-split words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.storage.keys import unique_sentences
from assistant.types import Article, Chunk, Span

Doc = tuple[Article, tuple[Chunk, ...]]


def make_doc(
    doc_id: str,
    sentences: Sequence[str],
    source: str = "a.txt",
    published: str | None = None,
    url: str | None = None,
) -> Doc:
    """An article of ``sentences`` and its overlapping two-sentence chunks."""
    text = " ".join(sentences)
    spans, pos = [], 0
    for s in sentences:
        spans.append(Span(pos, pos + len(s)))
        pos += len(s) + 1
    windows = [spans[i : i + 2] for i in range(max(1, len(spans) - 1))]
    chunks = tuple(
        Chunk(
            f"{doc_id}#{i}",
            doc_id,
            i,
            text[w[0].start : w[-1].end],
            w[0].start,
            w[-1].end,
            tuple(w),
        )
        for i, w in enumerate(windows)
    )
    article = Article(doc_id, f"{doc_id} 제목", text, source, url=url, published=published)
    return article, chunks


def fake_vectors(n: int, seed: int = 0, dim: int = 8) -> np.ndarray:
    """``n`` seeded random vectors (float32), stand-ins for embeddings."""
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def add_args(
    docs: Sequence[Doc], path: str, sha: str = "sha", seed: int = 0
) -> tuple[
    list[tuple[Article, str, tuple[Chunk, ...]]],
    np.ndarray,
    np.ndarray,
    list[list[str]],
    dict[str, tuple[str, list[str]]],
]:
    """The arguments of ``Store.add`` for ``docs`` from one file at ``path``."""
    chunks = [c for _, cs in docs for c in cs]
    n_sentences = sum(len(unique_sentences(cs)) for _, cs in docs)
    return (
        [(a, path, cs) for a, cs in docs],
        fake_vectors(len(chunks), seed),
        fake_vectors(n_sentences, seed + 1),
        [c.text.split() for c in chunks],
        {path: (sha, [a.doc_id for a, _ in docs])},
    )


SEOUL = make_doc(
    "seoul",
    ["서울시는 새 버스 노선을 발표했다.", "시민 반응은 엇갈렸다.", "노선은 내달 개통한다."],
    source="news/a.txt",
    published="2026-01-04",
    url="https://example.com/seoul",
)
BUSAN = make_doc(
    "busan",
    ["부산 불꽃축제에 100만 명이 모였다.", "교통이 통제됐다."],
    source="news/b.txt",
)
MISSILE = make_doc(
    "missile",
    ["북한은 극초음속 미사일을 시험 발사했다.", "합참은 비행 거리를 분석 중이다."],
    source="news/c.txt",
    published="2026-01-06",
)


def near(vector: np.ndarray) -> object:
    """``vector`` as a stored sentence vector reads back: rounded through float16."""
    return pytest.approx(vector, rel=1e-3, abs=1e-3)
