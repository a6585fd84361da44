"""Does the best sentence answer what the question asks? A calibrated 0..1 relevance.

Word overlap alone answers "김정은의 부인 이름은?" with any sentence about Kim. The
relevance adds what the question asks: whether the best sentence holds a span of the kind
asked for (``answering.spans``), whether the noun the question asks about is in the
passage at all, and how much of the question's rarest word is missing. The features are
combined by a logistic model whose weights (``scoring.RELEVANCE_WEIGHTS``) were fitted on
KorQuAD's calibration half against the same questions asked without their article.
With the trained reader, its margin on the best sentence's passage joins the relevance
(``read_relevance``, fitted on held-out calibration articles): where 2 % of KorQuAD's
answerable test questions are refused, it refuses 80 % of them asked without their
article, the relevance alone 71 % (BENCHMARKS.md, "Refusals with the reader").
"""

from __future__ import annotations

import math
from collections.abc import Mapping

RELEVANCE_FEATURES = (
    "score",
    "coverage",
    "dense",
    "span_type",
    "focus",
    "rare",
    "chunk_coverage",
    "type",
)


def features(
    *,
    score: float,
    coverage: float,
    dense: float,
    span_type: float,
    focus_missing: bool,
    type_ok: bool,
    weights: Mapping[str, float],
    found: set[str],
) -> tuple[float, ...]:
    """The relevance features of a best sentence.

    :param score: its sentence score; ``coverage`` and ``dense`` its parts.
    :param span_type: how well its best span is the kind asked for (0..1; 0.5 unknown).
    :param focus_missing: the noun the question asks about is not in its passage.
    :param type_ok: it can hold the kind of answer asked for (``text.answer_types``).
    :param weights: the question's terms with their idf; ``found`` the passage's terms.
    """
    missing = [w for t, w in weights.items() if t not in found]
    top, total = max(weights.values(), default=0.0), sum(weights.values())
    rare = max(missing, default=0.0) / top if top else 0.0
    chunk_coverage = 1.0 - sum(missing) / total if total else 0.0
    return (
        score,
        coverage,
        dense,
        span_type,
        float(focus_missing),
        rare,
        chunk_coverage,
        float(type_ok),
    )


def relevance(values: tuple[float, ...], model: Mapping[str, float]) -> float:
    """The logistic model's probability that the sentence answers the question."""
    z = model["bias"] + sum(model[n] * v for n, v in zip(RELEVANCE_FEATURES, values, strict=True))
    return _sigmoid(z)


def read_relevance(heuristic: float, chunk_margin: float, model: Mapping[str, float]) -> float:
    """The relevance once the reader has read the best sentence's passage: the heuristic's
    relevance (as a logit) and the reader's span − no-answer margin there, combined by a
    logistic model (``scoring.READER_RELEVANCE_MODEL``).

    :param heuristic: ``relevance`` of the best sentence (0..1).
    :param chunk_margin: the reader's best span − no-answer score in that passage.
    """
    p = min(max(heuristic, 1e-9), 1.0 - 1e-9)
    z = (
        model["bias"]
        + model["relevance"] * math.log(p / (1.0 - p))
        + model["chunk_margin"] * max(chunk_margin, -20.0)
    )
    return _sigmoid(z)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
