"""The reader's short answer inside a chosen sentence, on a stand-in reader (no model):
when it is taken, where it lies, its particles cut, and the reader built once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.short_answer import (
    SharedReader,
    reader_question,
    short_in_sentence,
)

SENTENCE = "북한은 러시아에 병력 1만 5천 명을 보냈다."


@dataclass(frozen=True)
class Read:
    start: int
    end: int
    text: str
    margin: float


@dataclass
class StandIn:
    """Reads ``answer`` (as found in the passage) with ``margin``; threshold 0."""

    answer: str
    margin: float
    threshold: float = 0.0

    def read(self, question: str, passages: Sequence[str]) -> list[Read]:
        at = passages[0].find(self.answer)
        return [Read(at, at + len(self.answer), self.answer, self.margin)]


def particles(text: str) -> list[tuple[str, str, int, int]]:
    """A stand-in for kiwi: the last syllable 을 of a text is a particle."""
    if text.endswith("을"):
        return [(text[:-1], "NNG", 0, len(text) - 1), ("을", "JKO", len(text) - 1, len(text))]
    return [(text, "NNG", 0, len(text))]


def test_a_sure_span_is_taken_with_its_place_in_the_sentence_and_particles_cut() -> None:
    found = short_in_sentence(StandIn("1만 5천 명을", 2.5), "몇 명?", SENTENCE, morphemes=particles)
    assert found is not None
    assert (found.text, SENTENCE[found.start : found.end], found.margin) == (
        "1만 5천 명",
        "1만 5천 명",
        2.5,
    )


def test_an_unsure_span_or_an_empty_sentence_gives_none() -> None:
    assert short_in_sentence(StandIn("1만 5천 명", -0.5), "몇 명?", SENTENCE) is None
    assert short_in_sentence(StandIn("1만 5천 명", 0.5), "몇 명?", SENTENCE, threshold=1.0) is None
    assert short_in_sentence(StandIn("", 5.0), "몇 명?", "   ") is None


def test_an_english_question_is_read_with_its_korean_forms() -> None:
    assert reader_question("How many troops?", "병력") == "How many troops? 병력"
    assert reader_question("병력은 몇 명?", "") == "병력은 몇 명?"


def test_the_shared_reader_is_built_once_across_threads() -> None:
    made: list[int] = []

    def load() -> StandIn:
        made.append(1)
        return StandIn("x", 1.0)

    shared = SharedReader(load)
    threads = [threading.Thread(target=shared) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1] and shared() is shared()


def test_a_span_as_long_as_a_clause_is_no_short_answer() -> None:
    long = "북한은 러시아에 병력 1만 5천 명을"
    assert short_in_sentence(StandIn(long, 5.0), "몇 명?", SENTENCE, max_chars=10) is None
    assert short_in_sentence(StandIn(long, 5.0), "몇 명?", SENTENCE) is not None
