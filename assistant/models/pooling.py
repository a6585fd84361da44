"""Pooling token embeddings into text and span vectors: plain numpy, no model.

The passage vector is what sentence-transformers' mean pooling computes (every token the
attention mask keeps, special tokens and the prefix included), so chunk vectors are the
same as before. A span's vector is the mean over the tokens that overlap it, taken from
the same forward pass: one pass per chunk gives the chunk and each of its sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each row's kept tokens: (batch, tokens, dim) × (batch, tokens) → (batch, dim)."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    return summed / np.maximum(weights.sum(axis=1), 1e-9)


def cls_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The first token's vector of each row (CLS pooling)."""
    return np.asarray(hidden[:, 0, :], dtype=np.float32)


def span_tokens(offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """Indices of the tokens whose character range overlaps ``[start, end)``.

    :param offsets: (tokens, 2) character offsets from a fast tokenizer; special and
        padding tokens are (0, 0) and never match.
    """
    lo, hi = offsets[:, 0], offsets[:, 1]
    return np.flatnonzero((hi > lo) & (lo < end) & (hi > start))


def pool_spans(
    hidden: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Mean vectors of ``spans`` in one text's token embeddings, unnormalized.

    :param hidden: (tokens, dim) token embeddings of one text.
    :param offsets: (tokens, 2) character offsets of those tokens.
    :param spans: character ranges in the same text.
    :returns: (len(spans), dim) vectors; the row of a span no token covers (cut off by
        the model's length limit) is zero.
    """
    out = np.zeros((len(spans), hidden.shape[-1]), dtype=np.float32)
    for i, (start, end) in enumerate(spans):
        idx = span_tokens(offsets, start, end)
        if idx.size:
            out[i] = hidden[idx].mean(axis=0)
    return out
