"""What a question asks for, read from its wh-word, its particle and the noun it asks about."""

from __future__ import annotations

import pytest

from assistant.text.korean import KoreanAnalyzer
from assistant.text.question_kind import QuestionKind, fold, question_kind


@pytest.mark.parametrize(
    ("question", "kind", "noun"),
    [
        ("러시아 대사는 누구인가?", "person", ""),
        ("조약은 언제 체결되었나?", "date", ""),
        ("북한군 파병 규모는 몇 명인가?", "number", "명"),
        ("회담은 어디에서 열렸나?", "place", ""),
        ("미국 국무부는 어떤 반응을 보였나?", "thing", "반응"),
        ("지명수배된 사람의 이름은?", "person", "이름"),
        ("그는 왜 사임했나?", "why", ""),
        ("그는 어떻게 탈출했나?", "how", ""),
        ("몇 년에 태어났나?", "date", "년"),
    ],
)
def test_the_kind_asked_for(analyzer: KoreanAnalyzer, question: str, kind: str, noun: str) -> None:
    asked = question_kind(analyzer.morphemes(question))
    assert (asked.kind, asked.noun) == (kind, noun)


def test_the_particle_of_the_wh_word_is_folded_over_allomorphs(analyzer: KoreanAnalyzer) -> None:
    assert question_kind(analyzer.morphemes("그는 무엇을 샀나?")).particle == "을"
    assert question_kind(analyzer.morphemes("관계를 무엇이라고 평가했나?")).particle == "라고"
    assert fold("를") == fold("을") and fold("가") == fold("이")


def test_focus_is_the_asked_about_noun_unless_it_only_names_the_kind() -> None:
    assert QuestionKind("thing", "", "반응").focus == "반응"
    assert QuestionKind("person", "", "이름").focus == ""
    assert QuestionKind("number", "", "명").focus == ""


def test_how_and_why_want_no_span() -> None:
    assert not QuestionKind("why").wants_span and not QuestionKind("how").wants_span
    assert QuestionKind("person").wants_span


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many troops has North Korea sent?", "number"),
        ("How long did Matsegora serve?", "number"),
        ("In which city did they meet?", "place"),
        ("What year was the treaty signed?", "date"),
        ("Who attended the test?", "person"),
        ("When did Putin send it?", "date"),
        ("How did Kim describe this year?", "how"),
        ("What treaty did they sign?", "thing"),
        ("Tell me about Kim", ""),
    ],
)
def test_an_english_question_is_read_from_its_wh_word(
    analyzer: KoreanAnalyzer, question: str, kind: str
) -> None:
    assert question_kind(analyzer.morphemes(question)).kind == kind
