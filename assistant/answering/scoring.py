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
# A sentence's score: its features (answering.extractive.score_sentences), weighted.
SENTENCE_FEATURES = ("coverage", "dense", "retrieval", "span", "type")
W_SENTENCE: dict[str, float] = {
    "coverage": 3.397,
    "dense": 1.086,
    "retrieval": 2.532,
    "span": 3.057,
    "type": 1.038,
}
# The first sentence quoted must hold the kind of answer asked for; one that does is
# promoted over better ones within this of the best, else the question is refused.
TYPE_MARGIN = 3.0
# A span's score is divided by this before it joins the sentence score.
SPAN_SCALE = 10.0
# A second or third sentence is quoted only when it scores within this of the first.
SENTENCE_MARGIN = 1.0
# The short answer's candidate features (answering.spans.FEATURES), weighted.
SPAN_WEIGHTS: dict[str, float] = {
    "type": 3.088,
    "new": 2.561,
    "near": 2.98,
    "particle": 3.232,
    "head": 2.665,
    "proper": 1.157,
    "length": -0.575,
    "quoted": 2.778,
    "before": 0.084,
    "single": -0.917,
}
# The relevance model (answering.relevance.RELEVANCE_FEATURES): logistic weights.
RELEVANCE_MODEL: dict[str, float] = {
    "bias": -10.534,
    "score": 0.39,
    "coverage": 0.736,
    "dense": 6.955,
    "span_type": 0.705,
    "focus": 0.401,
    "rare": -0.932,
    "chunk_coverage": 5.354,
    "type": 0.144,
}
# Relevance below this means "the articles don't say" (the settings' answer_threshold).
RELEVANCE_THRESHOLD = 0.0047
# With the trained reader: the relevance's logit and the reader's span − no-answer margin
# on the passage of the best sentence, combined by a logistic model fitted on the
# calibration half's held-out articles (which the reader was not trained on) against the
# same questions without their article (bench/calibrate_refusal.py, "relevance+chunk").
READER_RELEVANCE_MODEL: dict[str, float] = {
    "bias": 0.6183,
    "relevance": 1.1524,
    "chunk_margin": 0.1651,
}
# Its probability below this refuses: 2 % of the held-out answerable questions
# (sigmoid(-1.828)).
READER_RELEVANCE_THRESHOLD = 0.1384
