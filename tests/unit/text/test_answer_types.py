"""Expected answer types, on real kiwipiepy analyses (moved from the integration tests)."""

from __future__ import annotations

import pytest

from assistant.text.answer_types import Expectation, expectation
from assistant.text.korean import KoreanAnalyzer, content_terms


def _check(analyzer: KoreanAnalyzer, question: str, sentence: str) -> bool:
    wanted = expectation(analyzer.tokens(question))
    tokens = analyzer.tokens(sentence)
    return wanted.met_by(sentence, tokens, set(content_terms(tokens)))


@pytest.mark.parametrize(
    ("question", "sentence", "ok"),
    [
        ("그는 몇 년 동안 재임했어?", "마체고라는 10년간 대사로 재임했다.", True),
        ("사상자는 몇 명인가?", "약 1만 5천 명의 전투 병력을 파견했다.", False),
        ("병력은 몇 명이었나?", "약 1만 5천 명의 전투 병력을 파견했다.", True),
        ("비행 거리는 몇 km였나?", "미사일은 동해상 목표물을 타격했다.", False),
        ("비행 거리는 몇 km였나?", "미사일은 1000 km를 날아갔다.", True),
        ("푸틴 대통령의 나이는?", "푸틴 대통령이 새해 메시지를 보냈다.", False),
        ("푸틴 대통령의 나이는?", "푸틴 대통령은 올해 73세다.", True),
        ("정상회담은 언제 열렸나?", "2026년 1월 6일 베이징에서 정상회담이 열렸다.", True),
        ("정상회담은 언제 열렸나?", "베이징에서 정상회담이 열렸다.", False),
        ("마체고라 대사의 사망 원인은?", "대사의 갑작스러운 사망에 조의를 표했다.", False),
        ("마체고라 대사의 사망 원인은?", "대사는 심장마비 때문에 숨졌다.", True),
        ("트럼프는 몇 번째 대통령인가?", "트럼프 대통령이 4월 중국을 방문한다.", False),
        ("북러 관계를 무엇이라고 표현했나?", "양국 관계를 소중한 공동자산으로 표현했다.", True),
    ],
)
def test_sentence_can_hold_the_answer_asked_for(
    analyzer: KoreanAnalyzer, question: str, sentence: str, ok: bool
) -> None:
    assert _check(analyzer, question, sentence) is ok


def test_questions_without_a_type_expect_nothing(analyzer: KoreanAnalyzer) -> None:
    assert not expectation(analyzer.tokens("김정은은 어떤 지지를 약속했나?")).any


def test_count_question_names_its_unit_and_the_counted_thing() -> None:
    # "사상자는 몇 명인가?" as kiwi tags it
    tokens = [("사상자", "NNG"), ("는", "JX"), ("몇", "MM"), ("명", "NNB"), ("이", "VCP")]
    assert expectation(tokens) == Expectation(counter="명", counted="사상자")


def test_number_must_stand_right_before_the_counter() -> None:
    wanted = Expectation(counter="명")
    with_count = [("3", "SN"), ("천", "NR"), ("명", "NNB")]
    without = [("3", "SN"), ("일", "NNB"), ("명", "NNG")]
    assert wanted.met_by("3천 명", with_count, set())
    assert not wanted.met_by("3일 명", without, set())


def test_the_strict_checks_keep_age_cause_units_and_the_counted_thing(
    analyzer: KoreanAnalyzer,
) -> None:
    km = expectation(analyzer.tokens("미사일의 비행 거리는 몇 km였나?")).strict()
    assert km.counter == "km" and km.unit
    people = expectation(analyzer.tokens("사상자는 몇 명인가?")).strict()
    assert people.counter is None and people.counted == "사상자"  # 명 is a counter, not a unit
    assert not expectation(analyzer.tokens("조약은 언제 체결되었나?")).strict().any


def test_a_measure_noun_is_not_the_counted_thing(analyzer: KoreanAnalyzer) -> None:
    assert expectation(analyzer.tokens("북한군 파병 규모는 몇 명인가?")).counted is None
    assert expectation(analyzer.tokens("몇 년도에 태어났나?")).counter == "년"
