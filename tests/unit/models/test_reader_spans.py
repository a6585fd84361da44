"""Reader span decoding and the character ↔ token mapping, on hand-made offsets (no model)."""

from __future__ import annotations

import numpy as np

from assistant.models import reader_spans as rs

# "<s> q q </s></s> 철수가 1989년에 왔다 </s>": passage "철수가 1989년에 왔다"
PASSAGE = "철수가 1989년에 왔다"
OFFSETS = np.array(
    [[-1, -1], [-1, -1], [-1, -1], [-1, -1], [-1, -1],  # <s> q q </s> </s>
     [0, 1], [1, 3], [3, 8], [8, 10], [10, 13], [-1, -1]],  # 철 수가 ▁1989 년에 ▁왔다 </s>
)  # fmt: skip


def test_token_span_maps_characters_to_the_tokens_that_cover_them() -> None:
    assert rs.token_span(OFFSETS, 4, 8) == (7, 7)  # "1989" is the token " 1989"
    assert rs.token_span(OFFSETS, 4, 10) == (7, 8)
    assert rs.token_span(OFFSETS, 0, 3) == (5, 6)


def test_token_span_outside_the_encoded_passage_is_no_answer() -> None:
    assert rs.token_span(OFFSETS, 11, 20) == (0, 0)  # cut off by truncation
    assert rs.token_span(OFFSETS, 5, 5) == (0, 0)


def test_best_span_keeps_to_the_passage_and_order() -> None:
    start = np.full(len(OFFSETS), -5.0)
    end = np.full(len(OFFSETS), -5.0)
    start[1], end[1] = 9.0, 9.0  # a question token: never an answer
    start[8], end[7] = 3.0, 4.0  # end before start: not a span
    start[7] = 2.0
    first, last, score = rs.best_span(start, end, OFFSETS)
    assert (first, last, score) == (7, 7, 6.0)


def test_best_span_respects_the_length_limit() -> None:
    start = np.zeros(len(OFFSETS))
    end = np.zeros(len(OFFSETS))
    start[5], end[9] = 5.0, 5.0
    first, last, _ = rs.best_span(start, end, OFFSETS, max_answer_tokens=2)
    assert last - first < 2


def test_decode_gives_passage_characters_without_the_leading_space() -> None:
    start = np.zeros(len(OFFSETS))
    end = np.zeros(len(OFFSETS))
    start[0], end[0] = 1.0, 1.5
    start[7], end[8] = 4.0, 4.0
    span = rs.decode(PASSAGE, start, end, OFFSETS)
    assert (span.start, span.end, span.text) == (4, 10, "1989년에")
    assert span.text == PASSAGE[span.start : span.end]
    assert span.null == 2.5 and span.margin == 5.5


def test_decode_of_an_empty_passage_is_no_answer() -> None:
    offsets = np.array([[-1, -1]] * 4)
    span = rs.decode("", np.zeros(4), np.zeros(4), offsets)
    assert span.text == "" and span.margin == float("-inf")


def fake_morphemes(text: str) -> list[tuple[str, str, int, int]]:
    """Kiwi's analysis of the few spans below."""
    table = {
        "닉슨 대통령이": [("닉슨", "NNP", 0, 2), ("대통령", "NNG", 3, 6), ("이", "JKS", 6, 7)],
        "1989년에는": [("1989", "SN", 0, 4), ("년", "NNB", 4, 5), ("에", "JKB", 5, 6),
                        ("는", "JX", 6, 7)],
        "이": [("이", "JKS", 0, 1)],
    }  # fmt: skip
    return table[text]


def test_trim_particles_cuts_the_particles_that_end_a_span() -> None:
    span = rs.ReadSpan(10, 17, "닉슨 대통령이", 3.0, 1.0)
    assert rs.trim_particles(span, fake_morphemes) == rs.ReadSpan(10, 16, "닉슨 대통령", 3.0, 1.0)
    span = rs.ReadSpan(0, 7, "1989년에는", 3.0, 1.0)
    assert rs.trim_particles(span, fake_morphemes).text == "1989년"


def test_trim_particles_never_empties_a_span() -> None:
    span = rs.ReadSpan(4, 5, "이", 3.0, 1.0)
    assert rs.trim_particles(span, fake_morphemes) == span
