"""Korean sentences and terms, on the real kiwipiepy analyzer."""

from __future__ import annotations

from assistant.text.korean import KoreanAnalyzer, content_terms, has_hangul


def test_sentence_spans_are_trimmed_and_point_into_the_text(analyzer: KoreanAnalyzer) -> None:
    text = "  북한은 4일 미사일을 쐈다. 일본은 즉각 항의했다.  "
    spans = analyzer.sentences(text)
    assert [text[s.start : s.end] for s in spans] == [
        "북한은 4일 미사일을 쐈다.",
        "일본은 즉각 항의했다.",
    ]


def test_sentences_never_cross_a_blank_line(analyzer: KoreanAnalyzer) -> None:
    # no sentence end after the headline: only the blank line separates it from the body
    text = "김정은 새해 메시지\n\n러시아와의 관계를 소중한 공동자산이라고 평가했다."
    assert [text[s.start : s.end] for s in analyzer.sentences(text)] == [
        "김정은 새해 메시지",
        "러시아와의 관계를 소중한 공동자산이라고 평가했다.",
    ]


def test_blank_text_has_no_sentences(analyzer: KoreanAnalyzer) -> None:
    assert analyzer.sentences(" \n\n \t") == []


def test_terms_are_content_morphemes_with_verb_stems_as_dictionary_forms(
    analyzer: KoreanAnalyzer,
) -> None:
    assert analyzer.terms("한국은행이 기준금리를 동결했다.") == ["한국은행", "기준", "금리", "동결"]
    assert analyzer.terms("Seoul 시장은 먹었다") == ["seoul", "시장", "먹다"]


def test_content_terms_keep_content_tags_only() -> None:
    tokens = [("Seoul", "SL"), ("가", "JKS"), ("먹", "VV"), ("었", "EP"), ("그", "NP")]
    assert content_terms(tokens) == ["seoul", "먹다"]


def test_anaphoric_questions_lean_on_the_previous_turn(analyzer: KoreanAnalyzer) -> None:
    assert analyzer.anaphoric("그는 언제 태어났어?")
    assert analyzer.anaphoric("그곳은?")
    assert not analyzer.anaphoric("한국은행은 기준금리를 얼마로 동결했나?")


def test_has_hangul() -> None:
    assert has_hangul("Kim 김정은")
    assert not has_hangul("Kim Jong-un, 2026")
