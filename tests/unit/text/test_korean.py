"""Korean sentences and terms, on the real kiwipiepy analyzer."""

from __future__ import annotations

import itertools
import json

import pytest

from assistant.settings import PROJECT_ROOT
from assistant.text.korean import KoreanAnalyzer, content_terms, has_hangul
from assistant.text.quotes import inside, protected

KORQUAD = PROJECT_ROOT.parent / "shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json"


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


def test_colloquial_pronouns_and_time_words_are_anaphoric(analyzer: KoreanAnalyzer) -> None:
    # kiwi reads 그건/그걸 as 그거 and 그때 as a common noun
    assert analyzer.anaphoric("그건 며칠에 보도됐어?")
    assert analyzer.anaphoric("분석가들은 그걸 어떻게 봤어?")
    assert analyzer.anaphoric("그때 누구를 만날 수 있어?")
    assert analyzer.anaphoric("당시 피해 규모는 얼마였어?")
    assert not analyzer.anaphoric("북한 관영 매체는 김정은의 지지 약속을 며칠에 보도했나?")


def test_has_hangul() -> None:
    assert has_hangul("Kim 김정은")
    assert not has_hangul("Kim Jong-un, 2026")


def test_a_quote_of_the_bundled_page_stays_whole(analyzer: KoreanAnalyzer) -> None:
    text = (PROJECT_ROOT / "corpus/000_e3f8f1e00a5f7b14.txt").read_text("utf-8")
    sentences = [text[s.start : s.end] for s in analyzer.sentences(text)]
    quote = (
        '"이제 누구도 두 나라 인민들의 관계와 단결을 깨뜨릴 수 없다. 이는 시대의 정당한 '
        "열망을 수호하고 역사를 바로잡으려는 강한 의지와 힘의 구체화에 의해 굳건히 "
        '지탱된다,"라고 김 위원장은 덧붙였다.'
    )
    assert quote in sentences
    assert "이는 북한의 우크라이나 전쟁 지원을 위한 러시아 파병을 가리켰다." in sentences[7]
    assert sentences[7].endswith("가리켰다.")


def test_no_sentence_of_korquad_ends_inside_a_short_quote(analyzer: KoreanAnalyzer) -> None:
    """On KorQuAD dev paragraphs with quotes (read where they lie, never copied): kiwi alone
    cuts inside quotes in some of them, the analyzer in none, and loses no text."""
    if not KORQUAD.exists():
        pytest.skip(f"KorQuAD dev is not at {KORQUAD}")
    data = json.loads(KORQUAD.read_text("utf-8"))["data"]
    contexts = [p["context"] for a in data for p in a["paragraphs"]]
    quoted = [c for c in dict.fromkeys(contexts) if any(m in c for m in '"“‘「『')][:120]
    kiwi_cut_inside = 0
    for text in quoted:
        regions = protected(text, analyzer.max_quote_chars)
        spans = analyzer.sentences(text)
        assert all(not inside(regions, s.start) for s in spans)
        assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
        assert "".join(text.split()) == "".join(
            "".join(text[s.start : s.end].split()) for s in spans
        )
        kiwi = analyzer._kiwi.split_into_sents(text)
        kiwi_cut_inside += any(inside(regions, s.start) for s in kiwi)
    assert kiwi_cut_inside >= 5
