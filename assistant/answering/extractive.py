"""Answers with numbered citations.

The default answerer is extractive: it scores every sentence of the retrieved chunks
against the question and quotes the best one to three, each followed by its citation.
It needs no LLM, never says anything the articles do not say (apart from the fixed
phrases in ``prompts/``), and refuses when no sentence scores above a threshold that was
calibrated on ``evals/seed.jsonl`` (see BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.documents import Document

from assistant.storage.lexical import LexicalIndex
from assistant.storage.store import Store, sentence_id
from assistant.text.answer_types import Token, expectation
from assistant.text.korean import KoreanAnalyzer, content_terms, has_hangul
from assistant.text.messages import Texts
from assistant.types import Answer, Citation, Span

# How the three signals add up to a sentence score (see BENCHMARKS.md, "calibration").
W_COVERAGE, W_DENSE, W_RETRIEVAL = 0.45, 0.45, 0.10
# e5 cosines crowd into a narrow band; this maps the useful part of it to 0..1.
COS_FLOOR, COS_CEIL = 0.75, 0.92
# A sentence of the expected answer type must score at least this share of the best one.
TYPE_FLOOR = 0.75


@dataclass(slots=True)
class ScoredSentence:
    span: Span
    doc: Document
    score: float
    coverage: float
    cosine: float
    text: str
    tokens: list[Token]
    terms: set[str]


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        store: Store,
        analyzer: KoreanAnalyzer,
        texts: Texts,
        *,
        max_sentences: int = 3,
        threshold: float = 0.45,
        relative_cutoff: float = 0.85,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.texts = texts
        self.max_sentences = max_sentences
        self.threshold = threshold
        self.relative_cutoff = relative_cutoff

    def score_sentences(
        self,
        question: str,
        docs: list[Document],
        query_vector: np.ndarray,
        question_tokens: list[Token] | None = None,
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the retrieved chunks, best first."""
        korean = has_hangul(question)
        lexical = self.store.lexical()
        if question_tokens is None:
            question_tokens = self.analyzer.tokens(question)
        weights = _term_weights(content_terms(question_tokens), lexical)
        total = sum(weights.values())
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
            terms = set(content_terms(tokens))
            coverage = sum(w for t, w in weights.items() if t in terms) / total if total else 0.0
            vec = vectors.get(sid)
            cosine = float(vec @ query_vector) if vec is not None else 0.0
            dense = min(max((cosine - COS_FLOOR) / (COS_CEIL - COS_FLOOR), 0.0), 1.0)
            retrieval = doc.metadata["score"] / top_retrieval
            # A question with no Hangul shares no morphemes with Korean text: its coverage
            # says nothing, so that weight goes to the embedding similarity.
            lexical_part = coverage if korean else dense
            score = W_COVERAGE * lexical_part + W_DENSE * dense + W_RETRIEVAL * retrieval
            scored.append(ScoredSentence(span, doc, score, coverage, cosine, text, tokens, terms))
        scored.sort(key=lambda s: -s.score)
        return scored

    def answer(
        self, question: str, docs: list[Document], query_vector: np.ndarray, language: str
    ) -> Answer:
        question_tokens = self.analyzer.tokens(question)  # analysed once, used twice
        scored = self.score_sentences(question, docs, query_vector, question_tokens)
        if scored and scored[0].score >= self.threshold:
            scored = self._of_expected_type(question_tokens, scored)
        if not scored or scored[0].score < self.threshold:
            return refusal(question, self.texts, language, docs)
        best = scored[0].score
        chosen = [s for s in scored if s.score >= best * self.relative_cutoff]
        chosen = chosen[: self.max_sentences]
        citations = [_citation(i, s) for i, s in enumerate(chosen, start=1)]
        text = " ".join(f"{c.sentence} [{c.number}]" for c in citations)
        return Answer(
            question, text, False, tuple(citations), language=language, documents=tuple(docs)
        )

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


def refusal(
    question: str, texts: Texts, language: str, docs: list[Document], **extra: Any
) -> Answer:
    """The "the articles don't say" answer, in the question's language."""
    return Answer(
        question,
        texts.get("refusal", language),
        True,
        status="refused",
        language=language,
        documents=tuple(docs),
        **extra,
    )


def _chunk_terms(doc: Document, scored: list[ScoredSentence]) -> set[str]:
    """The chunk's terms, from its sentences already analysed for scoring."""
    m = doc.metadata
    return {
        term
        for s in scored
        if s.doc.metadata["doc_id"] == m["doc_id"] and m["start"] <= s.span.start < m["end"]
        for term in s.terms
    }


def _term_weights(terms: list[str], lexical: LexicalIndex) -> dict[str, float]:
    return {t: lexical.idf(t) for t in dict.fromkeys(terms)}


def _sentence_text(doc: Document, span: Span) -> str:
    base = doc.metadata["start"]
    return doc.page_content[span.start - base : span.end - base]


def _citation(number: int, s: ScoredSentence) -> Citation:
    m = s.doc.metadata
    return Citation(
        number=number,
        doc_id=m["doc_id"],
        title=m["title"],
        source=m["source"],
        text=s.doc.page_content,
        start=s.span.start,
        end=s.span.end,
        score=round(s.score, 4),
        sentence=s.text,
        chunk_id=m["chunk_id"],
        chunk_start=m["start"],
        url=m.get("url"),
        published=m.get("published"),
    )
