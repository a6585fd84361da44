"""The reader answerer: a trained span reader picks the short answer across the passages.

The reader (``models.reader``, trained on KorQuAD's calibration half) scores, in each
retrieved passage, its best answer span and "no answer here". The short answer is the
best span across the passages; the quoted sentence is the one that holds it (never the
article's headline); "the articles don't say" when no span beats no-answer by the
calibrated margin. The heuristic ``ExtractiveAnswerer`` stays selectable and is every
LLM answerer's fallback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from langchain_core.documents import Document

from assistant.answering.base import Answerer, AnswerRequest, cite, refusal
from assistant.answering.passages import is_title, sentence_around
from assistant.answering.short_answer import (
    Morphemes,
    ReadSpanLike,
    SpanReader,
    reader_question,
)
from assistant.models.reader_spans import without_particles
from assistant.text.korean import has_hangul
from assistant.text.messages import Messages
from assistant.types import Answer, Span


class ReaderAnswerer:
    """Short answers found by the trained reader, quoted with the sentence that holds them.

    :param load: returns the reader (an OpenVINO model; ``short_answer.SharedReader``
        compiles it on first use, not at start, and shares it with the extractive answerer).
    :param messages: the fixed phrases (the refusal, the short-answer line).
    :param threshold: the span − no-answer margin below which the articles "don't say"
        (None: the reader's calibrated one, recorded in its card).
    :param morphemes: (form, tag, start, end) of a text (``KoreanAnalyzer.morphemes``): the
        particles that end a span are cut ("대통령이" → "대통령"); None keeps spans whole.
    :param fallback: answers what the reader cannot judge alone (an English question, a
        follow-up): the extractive answerer, itself using the reader for its short answer.
    """

    name = "reader"
    generative = False

    def __init__(
        self,
        load: Callable[[], SpanReader],
        messages: Messages,
        *,
        threshold: float | None = None,
        morphemes: Morphemes | None = None,
        fallback: Answerer | None = None,
    ) -> None:
        self.reader = load
        self._morphemes = morphemes
        self.messages = messages
        self.threshold = threshold
        self.fallback = fallback

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        """No rewrite: the chain's follow-up heuristic is used."""
        return ""

    def warm(self) -> None:
        """Compile the reader now rather than on the first question."""
        self.reader()

    def close(self) -> None:
        """Nothing of its own to release (the compiled model goes with the object)."""

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """The Answer alone: a read answer has no deltas."""
        yield self.answer(request)

    def answer(self, request: AnswerRequest) -> Answer:
        """The best span across the passages with its sentence cited, or the refusal."""
        docs = request.documents
        if not docs:
            return refusal(request.question, self.messages, request.language, docs)
        if self.fallback is not None and not _reads_alone(request):
            return self.fallback.answer(request)
        reader = self.reader()
        question = reader_question(request.question, request.translation)
        readings = reader.read(question, [d.page_content for d in docs])
        threshold = reader.threshold if self.threshold is None else self.threshold
        found = _best(docs, readings)
        if found is None or found[1].margin < threshold:
            margin = found[1].margin if found else -math.inf
            return refusal(
                request.question,
                self.messages,
                request.language,
                docs,
                relevance=_relevance(margin, threshold),
            )
        return self._answer(request, found[0], found[1], threshold)

    def _answer(
        self, request: AnswerRequest, doc: Document, read: ReadSpanLike, threshold: float
    ) -> Answer:
        short = read.text.strip()
        if self._morphemes is not None:
            short = without_particles(short, self._morphemes)
        base = doc.metadata["start"]
        lo = base + read.start
        hi = lo + len(short)
        sentence = sentence_around(doc, lo, hi)
        citation = replace(
            cite(1, doc, sentence.start, sentence.end, round(read.margin, 4)), highlight=(lo, hi)
        )
        text = self.messages.get("short_answer", request.language, answer=short, number=1)
        return Answer(
            request.question,
            f"{text}\n{citation.sentence} [1]",
            False,
            (citation,),
            language=request.language,
            documents=request.documents,
            short_answer=short,
            relevance=_relevance(read.margin, threshold),
        )


def _reads_alone(request: AnswerRequest) -> bool:
    """Whether the reader can judge the question alone: a Korean question that stands on
    its own. It was trained on those; an English question or a follow-up ("그건 누가
    발표했어?") it refuses nearly always (30 of 30 English questions of evals/english.jsonl),
    so those are answered by the fallback, with the reader's short answer in its sentence."""
    return has_hangul(request.question) and not request.follow_up


def _best(
    docs: Sequence[Document], readings: Sequence[ReadSpanLike]
) -> tuple[Document, ReadSpanLike] | None:
    """The passage whose span beats no-answer most, skipping spans inside a headline."""
    ranked = sorted(zip(docs, readings, strict=True), key=lambda p: -p[1].margin)
    for doc, read in ranked:
        if read.text.strip() and not _in_headline(doc, read):
            return doc, read
    return None


def _in_headline(doc: Document, read: ReadSpanLike) -> bool:
    base = doc.metadata["start"]
    return any(
        is_title(doc, Span(s, e)) and s <= base + read.start < e
        for s, e in doc.metadata["sentences"]
    )


def _relevance(margin: float, threshold: float) -> float:
    """The margin over the threshold as 0..1 (0.5 at the threshold), for ``Answer.relevance``."""
    if margin == -math.inf:
        return 0.0
    return round(1.0 / (1.0 + math.exp(-(margin - threshold))), 4)
