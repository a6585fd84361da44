"""How a sentence is scored against a question or a claim: the tuned constants, in one place.

Both the extractive answerer and the verifier of generated answers compare texts by
IDF-weighted content-morpheme coverage and by e5 cosine mapped onto 0..1; keeping the
mapping and the weights here means a re-calibration changes both at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import numpy as np

from assistant.storage.lexical import LexicalIndex

# e5 cosines crowd into a narrow band; this maps the useful part of it to 0..1.
COS_FLOOR, COS_CEIL = 0.75, 0.92

T = TypeVar("T", float, np.ndarray)


def dense_score(cosine: T) -> T:
    """Cosine mapped from [COS_FLOOR, COS_CEIL] onto [0, 1], clipped (scalar or array)."""
    scaled = np.clip((cosine - COS_FLOOR) / (COS_CEIL - COS_FLOOR), 0.0, 1.0)
    return float(scaled) if isinstance(cosine, float) else scaled


def term_weights(terms: Iterable[str], lexical: LexicalIndex) -> dict[str, float]:
    """Each distinct term with its BM25 idf: rare words weigh more than common ones."""
    return {t: lexical.idf(t) for t in dict.fromkeys(terms)}


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    """The idf-weighted share of ``weights``' terms found in ``terms`` (0 when empty)."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


# --- the extractive answerer's tuned constants (issue 13) -----------------------------
# Tuned by bench/calibrate_answerer.py on KorQuAD 1.0 dev's calibration half (articles of
# even index) and its unanswerable copies (each question asked with its article removed).
# How the three signals add up to a sentence score.
W_COVERAGE, W_DENSE, W_RETRIEVAL = 0.45, 0.45, 0.10
# A sentence of the expected answer type must score at least this share of the best one.
TYPE_FLOOR = 0.75
# A second or third sentence is quoted only when it scores within this of the first.
SENTENCE_MARGIN = 0.05
# The short answer's candidate features (answering.spans.FEATURES), weighted.
SPAN_WEIGHTS: dict[str, float] = {
    "type": 1.0,
    "new": 1.0,
    "near": 0.8,
    "particle": 0.8,
    "head": 0.5,
    "proper": 0.3,
    "length": -0.15,
    "quoted": 0.5,
    "before": 0.0,
}
# The relevance model (answering.relevance.RELEVANCE_FEATURES): logistic weights.
RELEVANCE_MODEL: dict[str, float] = {
    "bias": -3.0,
    "score": 8.0,
    "coverage": 0.0,
    "dense": 0.0,
    "span_type": 0.0,
    "span_score": 0.0,
    "focus": 0.0,
    "rare": 0.0,
}
# Relevance below this means "the articles don't say" (the settings' answer_threshold).
RELEVANCE_THRESHOLD = 0.5
