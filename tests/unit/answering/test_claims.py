"""What a generated sentence claims: markers, numbers by value, refusal phrases (no model)."""

from __future__ import annotations

from assistant.answering.claims import (
    generated_sentences,
    is_refusal,
    mostly_hangul,
    numeric_values,
    quote_key,
    split_markers,
    unknown_facts,
)
from assistant.text.korean import KoreanAnalyzer


def test_markers_are_found_in_every_common_shape() -> None:
    assert split_markers("A였다 [1][3].") == ("A였다.", [1, 3])
    assert split_markers("A였다 [1, 2]") == ("A였다", [1, 2])
    assert split_markers("A였다 [문단 2]") == ("A였다", [2])
    assert split_markers("no markers") == ("no markers", [])


def test_markers_after_the_full_stop_stay_with_their_sentence(analyzer: KoreanAnalyzer) -> None:
    parsed = generated_sentences("첫 문장이다. [1] 둘째 문장이다.[2] [3]", analyzer)
    assert parsed == [("첫 문장이다.", [1]), ("둘째 문장이다.", [2, 3])]
    assert generated_sentences("**답변:** 셋째다 [2]", analyzer) == [("셋째다", [2])]


def test_numbers_are_compared_by_value() -> None:
    assert numeric_values("약 1만 5천 명")[0] == {15000.0}
    assert numeric_values("15,000 troops")[0] == {15000.0}
    assert numeric_values("2024년 6월 12일")[0] == {2024.0, 6.0, 12.0}
    assert numeric_values("in June 2024")[0] == {6.0, 2024.0}
    assert numeric_values("3.5%")[0] == {3.5}
    assert {1.0, 5.0, 15000.0} <= numeric_values("1만 5천 명")[1]


def test_refusal_phrases() -> None:
    assert is_refusal("문단에는 사망 원인이 나와 있지 않습니다.")
    assert is_refusal("The passages do not mention his age.")
    assert not is_refusal("마체고라는 10년간 재임했다.")


def test_unknown_facts_are_numbers_and_names_no_passage_holds() -> None:
    passages = "북한은 약 1만 5천 명을 파견했다. 마체고라 대사가 숨졌다."
    _, numbers = numeric_values(passages)
    assert unknown_facts("북한은 1만 5천 명을 보냈다", [], passages, numbers) == []
    assert unknown_facts("북한은 3만 명을 보냈다", [], passages, numbers) == ["30000"]
    tokens = [("김여정", "NNP"), ("이", "JKS")]
    assert unknown_facts("김여정이 말했다", tokens, passages, numbers) == ["김여정"]


def test_hangul_share_and_quote_keys() -> None:
    assert mostly_hangul("북한은 파견했다") and not mostly_hangul("He said '안녕'")
    assert quote_key("  동해상.  ") == quote_key("동해 상")
