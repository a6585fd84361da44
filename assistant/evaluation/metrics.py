"""Metric functions, kept free of the assistant so they can be checked on hand-made data.

Retrieval metrics follow MTEB (which delegates to pytrec_eval) with binary relevance:

* ``recall@k`` = |relevant ∩ top-k| / |relevant|
* ``mrr@k`` = 1 / rank of the first relevant item within the top k (0 if none)
* ``ndcg@k`` = DCG@k / IDCG@k with DCG = Σ rel_i / log2(i + 1) over ranks i = 1..k, and
  IDCG the DCG of the ideal ranking (all relevant items first), also cut at k.

Answer metrics follow the official KorQuAD 1.0 evaluation script (itself SQuAD 1.1's with
Korean changes): quotes, brackets and ASCII punctuation are removed, the text lower-cased
and whitespace collapsed; exact match compares those strings, and F1 is computed over
*characters* (whitespace ignored), the maximum over the gold answers.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

# The brackets and quotes KorQuAD's script blanks out before removing ASCII punctuation.
_KORQUAD_SYMBOLS = re.compile("['\"《》<>〈〉()‘’]")
_PUNCTUATION = frozenset(string.punctuation)


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant ids among the first ``k`` ranked (MTEB's recall@k)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def hit_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1 if any relevant item is in the top k (MTEB's ``hit_rate``/top-k accuracy)."""
    return float(bool(set(relevant) & set(ranked[:k])))


def mrr_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1/rank of the first relevant id within the first ``k``, else 0."""
    rel = set(relevant)
    for rank, item in enumerate(ranked[:k], 1):
        if item in rel:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """nDCG@k with binary relevance and a log2 discount; the ideal ranks every relevant id first."""
    rel = set(relevant)
    if not rel:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, item in enumerate(ranked[:k], 1) if item in rel)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), k) + 1))
    return dcg / idcg


def first_rank(ranked: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first relevant item, None when absent (for case-by-case diffs)."""
    rel = set(relevant)
    return next((i for i, item in enumerate(ranked, 1) if item in rel), None)


def normalize_answer(text: str) -> str:
    """KorQuAD 1.0's ``normalize_answer``: symbols → spaces, lower, drop punctuation, squeeze."""
    text = _KORQUAD_SYMBOLS.sub(" ", text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when prediction and gold are equal after KorQuAD's normalisation, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def char_f1(prediction: str, gold: str) -> float:
    """Character-level F1 on normalized text, whitespace excluded (KorQuAD's ``f1_score``)."""
    pred = list(normalize_answer(prediction).replace(" ", ""))
    truth = list(normalize_answer(gold).replace(" ", ""))
    same = sum((Counter(pred) & Counter(truth)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(metric: object, prediction: str, golds: Sequence[str]) -> float:
    """``metric_max_over_ground_truths``: the best score against any gold answer (0 if none)."""
    return max((metric(prediction, g) for g in golds), default=0.0)  # type: ignore[operator]


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """A gold answer occurs in ``text`` after normalization, spaces ignored.

    Spaces are dropped on both sides because Korean spacing of the same phrase varies
    ("1만 5천 명" / "1만5천명"); an empty normalized gold never matches.
    """
    hay = normalize_answer(text).replace(" ", "")
    for gold in golds:
        needle = normalize_answer(gold).replace(" ", "")
        if needle and needle in hay:
            return True
    return False


def mean(values: Iterable[float | bool]) -> float:
    """Mean, NaN for no values: 'not measured' must not read as 0."""
    vals = [float(v) for v in values]
    return sum(vals) / len(vals) if vals else math.nan


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default), NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
