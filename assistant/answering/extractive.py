"""The extractive answerer: the short answer, then the best sentences, cited.

It scores every sentence of the retrieved chunks against the question, checks that the
best one answers what the question asks (``answering.relevance``: its focus and answer
type, not only word overlap) and quotes it, with a second or third sentence only when
they score within a calibrated margin of it. When the question asks for a name, number,
date, place or short phrase, the reply starts with that span as found in the first quoted
sentence (``answering.spans``). It needs no LLM and never says anything the articles do
not say (apart from the fixed phrases in ``prompts/``). The constants were tuned on
KorQuAD's calibration half (``answering.scoring``, BENCHMARKS.md, issue 13).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.documents import Document

from assistant.answering import spans
from assistant.answering.base import AnswerRequest, refusal
from assistant.answering.citing import cite_by_passage
from assistant.answering.passages import is_title, sentence_text
from assistant.answering.relevance import features, read_relevance, relevance
from assistant.answering.scoring import (
    READER_RELEVANCE_MODEL,
    READER_RELEVANCE_THRESHOLD,
    RELEVANCE_MODEL,
    RELEVANCE_THRESHOLD,
    SENTENCE_FEATURES,
    SENTENCE_MARGIN,
    SPAN_SCALE,
    SPAN_WEIGHTS,
    TYPE_MARGIN,
    W_SENTENCE,
    coverage,
    dense_score,
    term_weights,
)
from assistant.answering.short_answer import SpanReader, reader_question, short_in_sentence
from assistant.storage.store import Store, sentence_id
from assistant.text.answer_types import Token, expectation
from assistant.text.korean import KoreanAnalyzer, content_terms, has_hangul
from assistant.text.messages import Messages
from assistant.text.question_kind import Morpheme, QuestionKind, question_kind
from assistant.types import Answer, Span

SPAN_KINDS = frozenset({"person", "date", "number", "place", "thing"})


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A candidate sentence with its score and the parts it was made of."""

    span: Span
    doc: Document
    score: float
    coverage: float
    cosine: float
    text: str
    tokens: list[Token]
    terms: frozenset[str]
    retrieval: float = 0.0
    morphemes: tuple[Morpheme, ...] = ()
    short: spans.Candidate | None = None  # its best short-answer candidate
    type_ok: bool = True  # it can hold the kind of answer asked for
    strict_ok: bool = True  # it passes the strict checks of that (Expectation.strict)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the answerer made of a question and its passages, before deciding to answer.

    :param asked: the kind of answer asked for.
    :param scored: the sentences by score, led by ``type_first``'s choice (empty: refused
        on answer type, or nothing retrieved).
    :param span: the short-answer candidate of the best sentence, if any.
    :param relevance: how likely the best sentence answers the question (0..1).
    """

    asked: QuestionKind
    scored: list[ScoredSentence]
    span: spans.Candidate | None
    relevance: float


class ExtractiveAnswerer:
    """Quotes, never writes; the default answerer and every LLM answerer's fallback.

    :param store: the index, for idf weights and the sentence vectors stored at ingest.
    :param analyzer: kiwi, for the question's and the sentences' morphemes.
    :param messages: the fixed phrases (the refusal).
    :param max_sentences: sentences quoted at most.
    :param threshold: a relevance below this means "the articles don't say" (None: the
        calibrated one, with or without ``refusal_reader``).
    :param margin: further sentences must score within this of the best one.
    :param short_reader: the trained reader (built on first use), which gives the short
        answer inside the first quoted sentence when it is sure of one; None: the heuristic
        alone (``answering.spans``).
    :param refusal_reader: the trained reader, which reads the best sentence's passage so
        that its margin joins the relevance (``relevance.read_relevance``); None: the
        heuristic's relevance alone decides.
    """

    name = "extractive"
    generative = False

    def __init__(
        self,
        store: Store,
        analyzer: KoreanAnalyzer,
        messages: Messages,
        *,
        max_sentences: int = 3,
        threshold: float | None = None,
        margin: float = SENTENCE_MARGIN,
        short_reader: Callable[[], SpanReader] | None = None,
        refusal_reader: Callable[[], SpanReader] | None = None,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.messages = messages
        self.max_sentences = max_sentences
        default = RELEVANCE_THRESHOLD if refusal_reader is None else READER_RELEVANCE_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self.margin = margin
        self.short_reader = short_reader
        self.refusal_reader = refusal_reader

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        """No rewrite: the chain's follow-up heuristic is used."""
        return ""

    def warm(self) -> None:
        """Compile the reader now rather than on the first question."""
        for load in (self.short_reader, self.refusal_reader):
            if load is not None:
                load()

    def close(self) -> None:
        """Nothing of its own to release."""

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """The Answer alone: an extractive answer has no deltas."""
        yield self.answer(request)

    def score_sentences(
        self,
        question: str,
        docs: Sequence[Document],
        query_vector: np.ndarray,
        question_morphemes: list[Morpheme] | None = None,
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the retrieved chunks, best first.

        A sentence's score sums (``scoring.W_SENTENCE``) its idf-weighted coverage of the
        question's words, its e5 similarity, its chunk's retrieval score, how well its
        best short-answer span fits, and whether it can hold the kind of answer asked for.
        """
        if question_morphemes is None:
            question_morphemes = self.analyzer.morphemes(question)
        q_tokens = [(m[0], m[1]) for m in question_morphemes]
        weights = term_weights(content_terms(q_tokens), self.store.lexical())
        found = self._analyse(question, docs, query_vector, weights)
        wanted, asked = expectation(q_tokens), question_kind(question_morphemes)
        strict = wanted.strict()
        by_chunk: dict[str, set[str]] = {}
        for s in found:
            by_chunk.setdefault(s.doc.metadata["chunk_id"], set()).update(s.terms)
        scored = []
        for s in found:
            chunk = by_chunk[s.doc.metadata["chunk_id"]]
            type_ok = not wanted.any or wanted.met_by(s.text, s.tokens, chunk)
            strict_ok = not strict.any or strict.met_by(s.text, s.tokens, chunk)
            cands = spans.candidates(s.text, list(s.morphemes), asked, set(weights))
            span = spans.best(cands, SPAN_WEIGHTS)
            span_fit = span.score(SPAN_WEIGHTS) / SPAN_SCALE if span else 0.0
            lexical = s.coverage if has_hangul(question) else dense_score(s.cosine)
            parts = (lexical, dense_score(s.cosine), s.retrieval, span_fit, float(type_ok))
            score = sum(W_SENTENCE[n] * v for n, v in zip(SENTENCE_FEATURES, parts, strict=True))
            scored.append(replace(s, score=score, short=span, type_ok=type_ok, strict_ok=strict_ok))
        scored.sort(key=lambda s: -s.score)
        return scored

    def _analyse(
        self,
        question: str,
        docs: Sequence[Document],
        query_vector: np.ndarray,
        weights: dict[str, float],
    ) -> list[ScoredSentence]:
        """Each distinct sentence analysed: morphemes, coverage, cosine, retrieval score."""
        candidates: dict[tuple[str, int], tuple[Span, Document]] = {}
        for doc in docs:
            for s, e in doc.metadata["sentences"]:
                if not is_title(doc, Span(s, e)):  # a headline is no answer sentence
                    candidates.setdefault((doc.metadata["doc_id"], s), (Span(s, e), doc))
        ids = [sentence_id(d.metadata["doc_id"], span) for span, d in candidates.values()]
        vectors = self.store.sentence_vectors(ids)
        top_retrieval = max((d.metadata["score"] for d in docs), default=1.0) or 1.0
        out = []
        for (span, doc), sid in zip(candidates.values(), ids, strict=True):
            text = sentence_text(doc, span)
            morphemes = tuple(self.analyzer.morphemes(text))
            tokens = [(m[0], m[1]) for m in morphemes]
            terms = frozenset(content_terms(tokens))
            vec = vectors.get(sid)
            cosine = float(vec @ query_vector) if vec is not None else 0.0
            retrieval = doc.metadata["score"] / top_retrieval
            cover = coverage(weights, terms)
            out.append(
                ScoredSentence(
                    span, doc, 0.0, cover, cosine, text, tokens, terms, retrieval, morphemes
                )
            )
        return out

    def read(self, request: AnswerRequest) -> Reading:
        """Score the sentences, find the best one's short answer and its relevance.

        The sentence quoted first must pass the strict answer-type checks (an age, a
        cause, a measuring unit, the counted thing): ``type_first``.
        """
        q_morphemes = self.analyzer.morphemes(request.question)  # analysed once, used thrice
        asked = question_kind(q_morphemes)
        scored = self.score_sentences(
            request.question, request.documents, request.query_vector, q_morphemes
        )
        scored = type_first(scored, TYPE_MARGIN)
        if not scored:
            return Reading(asked, [], None, 0.0)
        top = scored[0]
        weights = self._relevance_weights(request, q_morphemes)
        found = _chunk_terms(top.doc, scored)
        values = features(
            score=top.score,
            coverage=top.coverage,
            dense=dense_score(top.cosine),
            span_type=top.short.features[0] if top.short else 0.0,
            focus_missing=bool(asked.focus) and asked.focus not in found,
            type_ok=top.type_ok,
            weights=weights,
            found=found,
        )
        return Reading(asked, scored, top.short, relevance(values, RELEVANCE_MODEL))

    def _relevance_weights(
        self, request: AnswerRequest, q_morphemes: list[Morpheme]
    ) -> dict[str, float]:
        """The question's terms with their idf, for the relevance features. An English
        question's own words never occur in the Korean articles (coverage 0, its rarest
        word always missing: features the model never saw on KorQuAD), so its Korean forms
        (``AnswerRequest.translation``, what retrieval searched) stand in for them."""
        if request.translation and not has_hangul(request.question):
            q_morphemes = self.analyzer.morphemes(request.translation)
        q_tokens = [(m[0], m[1]) for m in q_morphemes]
        return term_weights(content_terms(q_tokens), self.store.lexical())

    def answer(self, request: AnswerRequest) -> Answer:
        """The short answer and the best sentences with their citations, or the refusal."""
        question, docs, language = request.question, request.documents, request.language
        reading = self.read(request)
        score, bar = self._relevance(request, reading)
        if not reading.scored or score < bar:
            return refusal(question, self.messages, language, docs, relevance=score)
        first = reading.scored[0]
        chosen = [s for s in reading.scored if s.score >= first.score - self.margin]
        chosen = chosen[: self.max_sentences]
        span = self._short(request, first, reading)
        citations, parts = cite_by_passage(chosen)
        short = ""
        if span is not None:
            short = span[1]
            start = first.span.start + span[0]
            citations[0] = replace(citations[0], highlight=(start, start + len(short)))
        text = " ".join(parts)
        if short:
            text = self.messages.get("short_answer", language, answer=short, number=1)
            text += "\n" + " ".join(parts)
        return Answer(
            question,
            text,
            False,
            tuple(citations),
            language=language,
            documents=docs,
            short_answer=short,
            relevance=score,
        )

    def _relevance(self, request: AnswerRequest, reading: Reading) -> tuple[float, float]:
        """The relevance and the bar it must reach: the heuristic's, joined by the reader's
        margin on the best sentence's passage when there is a refusal reader. A follow-up
        ("그건 누가 발표했어?") names nothing the reader could find, so the heuristic's
        relevance alone judges it, against its own calibrated bar."""
        if self.refusal_reader is None:
            return reading.relevance, self.threshold
        if not reading.scored or request.follow_up:
            return reading.relevance, RELEVANCE_THRESHOLD
        question = reader_question(request.question, request.translation)
        passage = reading.scored[0].doc.page_content
        margin = self.refusal_reader().read(question, [passage])[0].margin
        return read_relevance(reading.relevance, margin, READER_RELEVANCE_MODEL), self.threshold

    def _short(
        self, request: AnswerRequest, first: ScoredSentence, reading: Reading
    ) -> tuple[int, str] | None:
        """(offset in the sentence, text) of the short answer: the reader's span when it
        is sure of one of the kind asked for, else the heuristic's for a question a span
        can answer."""
        if self.short_reader is not None:
            question = reader_question(request.question, request.translation)
            read = short_in_sentence(
                self.short_reader(), question, first.text, morphemes=self.analyzer.morphemes
            )
            if read is not None and self._fits(read.text, reading.asked):
                return read.start, read.text
        span = reading.span if reading.asked.kind in SPAN_KINDS else None
        return (span.start, span.text) if span is not None else None

    def _fits(self, text: str, asked: QuestionKind) -> bool:
        """Whether a read span can be what was asked for (a name cannot answer "when?")."""
        return spans.type_match(text, self.analyzer.morphemes(text), asked) > 0


def type_first(scored: list[ScoredSentence], margin: float) -> list[ScoredSentence]:
    """The sentences, led by the best one within ``margin`` of the best score that can hold
    the kind of answer asked for, else by the best that passes the strict checks of it;
    none when no sentence within the margin does either."""
    best = scored[0].score if scored else 0.0
    window = [s for s in scored if s.score >= best - margin]
    lead = next((s for s in window if s.type_ok), None)
    lead = lead or next((s for s in window if s.strict_ok), None)
    return [lead, *[s for s in scored if s is not lead]] if lead else []


def _chunk_terms(doc: Document, scored: list[ScoredSentence]) -> set[str]:
    """The chunk's terms, from its sentences already analysed for scoring."""
    m = doc.metadata
    return {
        term
        for s in scored
        if s.doc.metadata["doc_id"] == m["doc_id"] and m["start"] <= s.span.start < m["end"]
        for term in s.terms
    }
