"""Metric maths on hand-made data: MTEB's retrieval metrics and KorQuAD's EM/F1."""

from __future__ import annotations

import math

import pytest

from assistant.evaluation import metrics as m


def test_retrieval_metrics_on_a_hand_made_ranking() -> None:
    ranked = ["a", "b", "c", "d", "e"]
    relevant = {"b", "d"}
    assert m.recall_at_k(ranked, relevant, 1) == 0.0
    assert m.recall_at_k(ranked, relevant, 2) == 0.5
    assert m.recall_at_k(ranked, relevant, 4) == 1.0
    assert m.hit_at_k(ranked, relevant, 2) == 1.0
    assert m.hit_at_k(ranked, relevant, 1) == 0.0
    assert m.mrr_at_k(ranked, relevant, 10) == 0.5
    assert m.mrr_at_k(ranked, relevant, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1/log2(2) + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k(ranked, relevant, 10) == pytest.approx(expected)
    assert m.ndcg_at_k(ranked, relevant, 10) == pytest.approx(0.6509, abs=1e-4)
    # Cut at 3: only b counts, ideal still has two relevant within 3.
    assert m.ndcg_at_k(ranked, relevant, 3) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert m.ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))
    assert m.ndcg_at_k(["a"], {"a"}, 10) == 1.0
    assert m.recall_at_k(ranked, set(), 5) == 0.0
    assert m.ndcg_at_k(ranked, set(), 5) == 0.0
    assert m.first_rank(ranked, relevant) == 2
    assert m.first_rank(ranked, {"z"}) is None


def test_recall_counts_every_gold_document_hit_only_one() -> None:
    ranked = ["g1", "x", "y", "g2"]
    assert m.recall_at_k(ranked, ["g1", "g2", "g3"], 4) == pytest.approx(2 / 3)
    assert m.hit_at_k(ranked, ["g1", "g2", "g3"], 4) == 1.0
    assert m.mrr_at_k(["x", "y", "g2"], ["g2"], 3) == pytest.approx(1 / 3)
    assert m.mrr_at_k(["x", "y", "g2"], ["g2"], 2) == 0.0


def test_korquad_normalisation_em_and_char_f1() -> None:
    assert m.normalize_answer("'포괄적 전략적 파트너십' 조약!") == "포괄적 전략적 파트너십 조약"
    assert m.normalize_answer("《삼국사기》  (三國史記)") == "삼국사기 三國史記"
    assert m.normalize_answer("Hello,  World.") == "hello world"
    assert m.exact_match("'영웅적'", "영웅적") == 1.0
    assert m.exact_match("영웅적이라고", "영웅적") == 0.0
    # Characters, whitespace ignored: pred 1만5천명 (5 chars) vs gold 약1만5천명 (6 chars).
    assert m.char_f1("1만 5천 명", "약 1만 5천 명") == pytest.approx(2 * (5 / 6) / (1 + 5 / 6))
    assert m.char_f1("1만5천명", "1만 5천 명") == 1.0
    assert m.char_f1("가나", "다라") == 0.0
    assert m.best_over_golds(m.exact_match, "베이징", ["서울", "베이징"]) == 1.0
    assert m.best_over_golds(m.char_f1, "", []) == 0.0
    assert m.contains_answer("북한은 약 1만5천 명을 보냈다.", ["1만 5천 명"])
    assert not m.contains_answer("아무 말", ["", "   "])


def test_percentile_and_mean() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile([10.0], 95) == 10.0
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert math.isnan(m.percentile([], 50))
    assert math.isnan(m.mean([]))
    assert m.mean([True, False, True, True]) == 0.75
