"""Short-answer candidates: nominal runs with particles stripped, scored by their features."""

from __future__ import annotations

from assistant.answering.scoring import SPAN_WEIGHTS
from assistant.answering.spans import FEATURES, Candidate, best, candidates
from assistant.text.korean import KoreanAnalyzer, content_terms
from assistant.text.question_kind import question_kind


def short(analyzer: KoreanAnalyzer, question: str, sentence: str) -> Candidate | None:
    q = analyzer.morphemes(question)
    terms = set(content_terms([(m[0], m[1]) for m in q]))
    return best(
        candidates(sentence, analyzer.morphemes(sentence), question_kind(q), terms), SPAN_WEIGHTS
    )


def test_a_count_is_found_with_its_unit(analyzer: KoreanAnalyzer) -> None:
    sentence = "북한은 러시아에 약 1만 5천 명의 병력을 파병했다."
    got = short(analyzer, "북한군 파병 규모는 몇 명인가?", sentence)
    assert got is not None and got.text.endswith("1만 5천 명")
    assert sentence[got.start : got.end] == got.text


def test_a_name_is_found_without_its_particle(analyzer: KoreanAnalyzer) -> None:
    got = short(
        analyzer,
        "주북한 러시아 대사는 누구인가?",
        "주북한 러시아 대사 알렉산드르 마체고라는 행사에 참석했다.",
    )
    assert got is not None and got.text == "알렉산드르 마체고라"


def test_a_quoted_phrase_is_found_without_its_quotes(analyzer: KoreanAnalyzer) -> None:
    got = short(
        analyzer,
        "김정은은 북러 관계를 무엇이라고 평가했나?",
        "김 위원장은 북러 관계를 '소중한 공동자산'이라고 평가했다.",
    )
    assert got is not None and got.text == "소중한 공동자산"


def test_a_date_question_gets_a_date(analyzer: KoreanAnalyzer) -> None:
    got = short(
        analyzer, "조약은 언제 체결되었나?", "두 나라는 2024년 6월 평양에서 조약을 체결했다."
    )
    assert got is not None and "2024년" in got.text


def test_every_candidate_has_every_feature_and_lies_in_the_sentence(
    analyzer: KoreanAnalyzer,
) -> None:
    sentence = "1989년 3월 12일 서울지방검찰청 공안부는 임종석의 사전구속영장을 발부받았다."
    q = analyzer.morphemes("영장을 발부받은 사람은 누구인가?")
    found = candidates(sentence, analyzer.morphemes(sentence), question_kind(q), {"영장"})
    assert found and all(len(c.features) == len(FEATURES) for c in found)
    assert all(sentence[c.start : c.end] == c.text and c.text == c.text.strip() for c in found)
    assert not any(c.text.endswith(("는", "의", "을")) for c in found if c.text[-1] in "는의을")


def test_no_candidates_no_short_answer() -> None:
    assert best([], SPAN_WEIGHTS) is None
