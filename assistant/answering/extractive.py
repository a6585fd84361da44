"""The extractive answerer: quotes the best sentences of the retrieved chunks, cited.

It scores every sentence of the retrieved chunks against the question and quotes the
best one to three, each followed by its citation number. It needs no LLM, never says
anything the articles do not say (apart from the fixed phrases in ``prompts/``), and
refuses when no sentence scores above a threshold calibrated on ``evals/seed.jsonl``
(see BENCHMARKS.md), or when no strong sentence can hold the kind of answer asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from assistant.answering.base import AnswerRequest, cite, refusal
from assistant.answering.scoring import coverage, dense_score, term_weights
from assistant.storage.store import Store, sentence_id
from assistant.text.answer_types import Token, expectation
from assistant.text.korean import KoreanAnalyzer, content_terms, has_hangul
from assistant.text.messages import Messages
from assistant.types import Answer, Span

# How the three signals add up to a sentence score (see BENCHMARKS.md, "calibration").
W_COVERAGE, W_DENSE, W_RETRIEVAL = 0.45, 0.45, 0.10
# A sentence of the expected answer type must score at least this share of the best one.
TYPE_FLOOR = 0.75


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


class ExtractiveAnswerer:
    """Quotes, never writes; the default answerer and every LLM answerer's fallback.

    :param store: the index, for idf weights and the sentence vectors stored at ingest.
    :param analyzer: kiwi, for the question's and the sentences' morphemes.
    :param messages: the fixed phrases (the refusal).
    :param max_sentences: sentences quoted at most.
    :param threshold: best score below this means "the articles don't say".
    :param relative_cutoff: further sentences must score this share of the best one.
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
        threshold: float = 0.45,
        relative_cutoff: float = 0.85,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.messages = messages
        self.max_sentences = max_sentences
        self.threshold = threshold
        self.relative_cutoff = relative_cutoff

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        """No rewrite: the chain's follow-up heuristic is used."""
        return ""

    def warm(self) -> None:
        """Nothing to load beyond what the Assistant already holds."""

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
        question_tokens: list[Token] | None = None,
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the retrieved chunks, best first."""
        korean = has_hangul(question)
        if question_tokens is None:
            question_tokens = self.analyzer.tokens(question)
        weights = term_weights(content_terms(question_tokens), self.store.lexical())
        candidates: dict[tuple[str, int], tuple[Span, Document]] = {}
        for doc in docs:
            for s, e in doc.metadata["sentences"]:
                candidates.setdefault((doc.metadata["doc_id"], s), (Span(s, e), doc))
        ids = [sentence_id(d.metadata["doc_id"], span) for span, d in candidates.values()]
        vectors = self.store.sentence_vectors(ids)
        top_retrieval = max((d.metadata["score"] for d in docs), default=1.0) or 1.0
        scored = []
        for (span, doc), sid in zip(candidates.values(), ids, strict=True):
            text = _sentence_text(doc, span)
            tokens = self.analyzer.tokens(text)
            terms = frozenset(content_terms(tokens))
            cover = coverage(weights, terms)
            vec = vectors.get(sid)
            cosine = float(vec @ query_vector) if vec is not None else 0.0
            dense = dense_score(cosine)
            retrieval = doc.metadata["score"] / top_retrieval
            # A question with no Hangul shares no morphemes with Korean text: its coverage
            # says nothing, so that weight goes to the embedding similarity.
            lexical_part = cover if korean else dense
            score = W_COVERAGE * lexical_part + W_DENSE * dense + W_RETRIEVAL * retrieval
            scored.append(ScoredSentence(span, doc, score, cover, cosine, text, tokens, terms))
        scored.sort(key=lambda s: -s.score)
        return scored

    def answer(self, request: AnswerRequest) -> Answer:
        """The best sentences with their citations, or the refusal."""
        question, docs, language = request.question, request.documents, request.language
        question_tokens = self.analyzer.tokens(question)  # analysed once, used twice
        scored = self.score_sentences(question, docs, request.query_vector, question_tokens)
        if scored and scored[0].score >= self.threshold:
            scored = self._of_expected_type(question_tokens, scored)
        if not scored or scored[0].score < self.threshold:
            return refusal(question, self.messages, language, docs)
        best = scored[0].score
        chosen = [s for s in scored if s.score >= best * self.relative_cutoff]
        chosen = chosen[: self.max_sentences]
        citations = tuple(
            cite(i, s.doc, s.span.start, s.span.end, round(s.score, 4))
            for i, s in enumerate(chosen, start=1)
        )
        text = " ".join(f"{c.sentence} [{c.number}]" for c in citations)
        return Answer(question, text, False, citations, language=language, documents=docs)

    def _of_expected_type(
        self, question_tokens: list[Token], scored: list[ScoredSentence]
    ) -> list[ScoredSentence]:
        """Keep the strong sentences that can hold the kind of answer asked for.

        A sentence far below the best one is not promoted just for holding a number.
        """
        wanted = expectation(question_tokens)
        if not wanted.any:
            return scored
        floor = max(self.threshold, scored[0].score * TYPE_FLOOR)
        kept = []
        for s in scored:
            if s.score < floor:
                break
            if wanted.met_by(s.text, s.tokens, _chunk_terms(s.doc, scored)):
                kept.append(s)
        return kept


def _chunk_terms(doc: Document, scored: list[ScoredSentence]) -> set[str]:
    """The chunk's terms, from its sentences already analysed for scoring."""
    m = doc.metadata
    return {
        term
        for s in scored
        if s.doc.metadata["doc_id"] == m["doc_id"] and m["start"] <= s.span.start < m["end"]
        for term in s.terms
    }


def _sentence_text(doc: Document, span: Span) -> str:
    base = doc.metadata["start"]
    return doc.page_content[span.start - base : span.end - base]
