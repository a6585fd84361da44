"""The relevance features and model, and the answer-type rule that picks the first sentence."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.answering.extractive import ScoredSentence, type_first
from assistant.answering.relevance import RELEVANCE_FEATURES, features, read_relevance, relevance
from assistant.answering.scoring import (
    READER_RELEVANCE_MODEL,
    READER_RELEVANCE_THRESHOLD,
    RELEVANCE_MODEL,
    RELEVANCE_THRESHOLD,
)
from assistant.types import Span


def values(found: set[str], **kw: float | bool) -> tuple[float, ...]:
    base: dict = dict(score=5.0, coverage=0.8, dense=0.7, span_type=1.0, focus_missing=False,
                      type_ok=True)  # fmt: skip
    base.update(kw)
    return features(weights={"김정은": 2.0, "부인": 4.0}, found=found, **base)


def test_features_measure_what_the_passage_lacks() -> None:
    full, lacking = values({"김정은", "부인"}), values({"김정은"})
    assert len(full) == len(RELEVANCE_FEATURES)
    rare, chunk = RELEVANCE_FEATURES.index("rare"), RELEVANCE_FEATURES.index("chunk_coverage")
    assert (full[rare], full[chunk]) == (0.0, 1.0)
    assert lacking[rare] == 1.0 and lacking[chunk] == pytest.approx(2 / 6)


def test_the_calibrated_model_trusts_a_passage_holding_the_question_more() -> None:
    full, lacking = values({"김정은", "부인"}), values({"김정은"})
    assert 0.0 < relevance(lacking, RELEVANCE_MODEL) < relevance(full, RELEVANCE_MODEL) < 1.0


def test_the_readers_margin_moves_the_relevance_across_the_refusal_line() -> None:
    """A sentence the heuristic is unsure of is kept when the reader finds an answer in its
    passage, and a likely one is refused when the reader finds none there."""
    unsure, likely = 0.05, 0.3
    assert read_relevance(unsure, 10.0, READER_RELEVANCE_MODEL) > READER_RELEVANCE_THRESHOLD
    assert read_relevance(likely, -10.0, READER_RELEVANCE_MODEL) < READER_RELEVANCE_THRESHOLD
    assert unsure > RELEVANCE_THRESHOLD  # the heuristic alone would answer both
    rising = [read_relevance(0.2, m, READER_RELEVANCE_MODEL) for m in (-5.0, 0.0, 5.0)]
    assert rising == sorted(rising) and 0.0 < rising[0] < rising[-1] < 1.0


def sentence(score: float, type_ok: bool, strict_ok: bool) -> ScoredSentence:
    s = ScoredSentence(Span(0, 1), None, score, 0.0, 0.0, "", [], frozenset())  # type: ignore[arg-type]
    return dataclasses.replace(s, type_ok=type_ok, strict_ok=strict_ok)


def test_the_best_sentence_of_the_asked_type_within_the_margin_leads() -> None:
    top, typed = sentence(5.0, False, True), sentence(4.0, True, True)
    assert type_first([top, typed], margin=2.0) == [typed, top]
    assert type_first([top, typed], margin=0.5) == [top, typed]  # strict checks pass: kept


def test_no_sentence_passing_the_strict_checks_within_the_margin_is_a_refusal() -> None:
    top, far = sentence(5.0, False, False), sentence(1.0, True, True)
    assert type_first([top, far], margin=2.0) == []
    assert type_first([], margin=2.0) == []
