"""The mends applied to kiwi's sentence boundaries, on hand-made spans (no kiwi)."""

from __future__ import annotations

from assistant.text.sentences import glue, leading_punctuation, mend, merge, resplit
from assistant.types import Span


def _cut(text: str, *pieces: str) -> list[Span]:
    """Spans of ``pieces`` found in order in ``text``."""
    spans, at = [], 0
    for piece in pieces:
        start = text.index(piece, at)
        spans.append(Span(start, start + len(piece)))
        at = start + len(piece)
    return spans


def _texts(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


SEED = (
    "그는 러시아 파병을 가리켰다. "
    '"이제 누구도 단결을 깨뜨릴 수 없다. 이는 시대의 정당한 열망을 수호한다,"라고 '
    "김 위원장은 덧붙였다."
)


def test_a_missed_end_is_cut_and_a_cut_inside_the_quote_undone() -> None:
    # what kiwi gave for the bundled page: the two sentences joined, the quote cut
    spans = _cut(SEED, SEED[: SEED.index("이는")].rstrip(), SEED[SEED.index("이는") :])
    assert _texts(SEED, mend(SEED, spans, 600)) == [
        "그는 러시아 파병을 가리켰다.",
        SEED[SEED.index('"이제') :],
    ]


def test_resplit_leaves_ends_inside_quotes_and_quotes_ending_a_sentence() -> None:
    text = '그는 "좋다. 가자." 하고 떠났다. 다음 날 왔다.'
    out = resplit(text, [Span(0, len(text))], [Span(3, 14)])
    assert _texts(text, out) == ['그는 "좋다. 가자." 하고 떠났다.', "다음 날 왔다."]


def test_merge_joins_only_at_cuts_inside_a_region() -> None:
    text = "(가. 나.) 다."
    spans = _cut(text, "(가.", "나.)", "다.")
    assert _texts(text, merge(spans, [Span(0, 7)])) == ["(가. 나.)", "다."]


def test_glue_joins_cuts_without_space_unless_a_final_mark_meets_a_letter() -> None:
    text = '"철학"이라는 말이다.그는 떠났다'
    spans = _cut(text, '"철학"', "이라는 말이다.", "그는 떠났다")
    assert _texts(text, glue(text, spans)) == ['"철학"이라는 말이다.', "그는 떠났다"]


def test_leading_punctuation_goes_back_to_the_sentence_before() -> None:
    text = "종료된다.(Schiller 2003). 경기 종료가 온다. ."
    spans = _cut(text, "종료된다.(Schiller 2003)", ". 경기 종료가 온다.", ".")
    assert _texts(text, leading_punctuation(text, spans)) == [
        "종료된다.(Schiller 2003).",
        "경기 종료가 온다. .",
    ]


def test_a_runaway_quote_does_not_swallow_the_article() -> None:
    sentences = ["“끝나지 않는 인용이다."] + [f"{i}번째 문장이다." for i in range(40)]
    text = " ".join(sentences)
    spans = _cut(text, *sentences)
    assert _texts(text, mend(text, spans, 600)) == sentences
