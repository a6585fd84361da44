"""The trained reader's short answer inside a sentence another step has already chosen.

The extractive answerer picks the sentences to quote well (the gold is in them for nine
questions in ten on KorQuAD) but its heuristic short answer is often a word of the
question. The reader (``models.reader``) finds the answer span far better when it is
sure, and is no better than the heuristic when it is not: so the short answer is the
reader's span in the first quoted sentence when its span − no-answer margin passes the
reader's calibrated threshold, and the heuristic's otherwise (BENCHMARKS.md, "Short
answers by the reader").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.models.reader_spans import without_particles
from assistant.text.korean import has_hangul

# Longer than this, a span is a clause rather than a short answer (0.05 % of KorQuAD's
# answers are; the reader, unsure of an end, can run a span over half a sentence).
MAX_CHARS = 30
Morphemes = Callable[[str], list[tuple[str, str, int, int]]]


class ReadSpanLike(Protocol):
    """What is needed of one passage's reading (``models.reader_spans.ReadSpan``)."""

    start: int
    end: int
    text: str

    @property
    def margin(self) -> float:
        """How much the best span beats "no answer" (start+end logits)."""
        ...


class SpanReader(Protocol):
    """A reader: per passage, its best span and how much it beats no-answer."""

    threshold: float

    def read(self, question: str, passages: Sequence[str]) -> Sequence[ReadSpanLike]:
        """One reading per passage, in order."""
        ...


@dataclass(frozen=True, slots=True)
class ShortSpan:
    """A short answer found in a sentence: its characters there and the reader's margin."""

    start: int
    end: int
    text: str
    margin: float


def reader_question(question: str, translation: str) -> str:
    """What the reader reads: an English question with the Korean forms retrieval searched
    (the reader was trained on Korean questions)."""
    if translation and not has_hangul(question):
        return f"{question} {translation}"
    return question


def short_in_sentence(
    reader: SpanReader,
    question: str,
    sentence: str,
    *,
    threshold: float | None = None,
    morphemes: Morphemes | None = None,
    max_chars: int = MAX_CHARS,
) -> ShortSpan | None:
    """The reader's answer span in ``sentence``, or None when it is not sure of one.

    :param question: what the reader reads (see ``reader_question``).
    :param threshold: the margin a span must reach (None: the reader's calibrated one).
    :param morphemes: kiwi's (form, tag, start, end): ending particles are cut.
    :param max_chars: a longer span is a clause, not a short answer (None is returned).
    """
    if not sentence.strip():
        return None
    read = reader.read(question, [sentence])[0]
    bar = reader.threshold if threshold is None else threshold
    text = read.text.strip()
    if not text or read.margin < bar or len(text) > max_chars:
        return None
    if morphemes is not None:
        text = without_particles(text, morphemes)
    start = read.start + (len(read.text) - len(read.text.lstrip()))
    return ShortSpan(start, start + len(text), text, read.margin)


class SharedReader:
    """One reader, built on first use (compiling it takes seconds) and shared by every
    answerer that reads with it.

    :param load: builds the reader.
    """

    def __init__(self, load: Callable[[], SpanReader]) -> None:
        self._load = load
        self._reader: SpanReader | None = None
        self._lock = threading.Lock()

    def __call__(self) -> SpanReader:
        """The reader, built once."""
        with self._lock:
            if self._reader is None:
                self._reader = self._load()
            return self._reader
