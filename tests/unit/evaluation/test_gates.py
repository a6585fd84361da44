"""``--fail-under`` gates: parsing, direction, and unmeasurable metrics."""

from __future__ import annotations

import math

import pytest

from assistant.evaluation.gates import Gate, parse_gates


def test_gates_parse_and_reject_unknown_metrics() -> None:
    gates = parse_gates(["recall@5=0.9", "total_p95_ms=500"], [1, 5])
    assert gates == [Gate("recall@5", 0.9), Gate("total_p95_ms", 500.0)]
    assert gates[0].check({"recall@5": 0.8}) == "recall@5 = 0.8 is under the threshold 0.9"
    assert gates[0].check({"recall@5": 0.95}) is None
    assert gates[0].check({"recall@5": 0.9}) is None  # the threshold itself passes
    assert "above the maximum" in (gates[1].check({"total_p95_ms": 900.0}) or "")
    assert gates[1].check({"total_p95_ms": 120.0}) is None
    with pytest.raises(ValueError, match="unknown metric 'recal@5'"):
        parse_gates(["recal@5=0.9"], [1, 5])
    with pytest.raises(ValueError, match="METRIC=VALUE"):
        parse_gates(["recall@5"], [1, 5])


def test_gate_metrics_depend_on_ks_and_values_must_be_numbers() -> None:
    with pytest.raises(ValueError, match=r"unknown metric 'recall@10'.*known: recall@1, "):
        parse_gates(["recall@10=0.5"], [1, 5])
    assert parse_gates([" recall@10 =0.5"], [10]) == [Gate("recall@10", 0.5)]
    with pytest.raises(ValueError, match="'abc' is not a number"):
        parse_gates(["mrr@10=abc"], [1])
    with pytest.raises(ValueError) as listed:
        parse_gates(["nope=1"], [1])
    assert "questions" not in str(listed.value)  # counts are not offered as gates


def test_counts_are_maxima_and_nan_fails() -> None:
    (errors,) = parse_gates(["errors=0"], [1])
    assert errors.check({"errors": 0.0}) is None
    assert errors.check({"errors": 1.0}) == "errors = 1 is above the maximum 0"
    message = Gate("mrr@10", 0.3).check({"mrr@10": math.nan})
    assert message is not None and "could not be measured" in message
