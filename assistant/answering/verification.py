"""Checking a generated answer against the passages it was given, sentence by sentence.

A small local model writes fluent sentences that its passages do not always hold, cites
passages that were never given, and now and then invents a figure. Nothing it says is
shown unchecked:

1. Every ``[n]`` must name a passage that was given (1..k).
2. Every sentence must be supported by a passage it cites: its content morphemes
   (kiwi, IDF-weighted, as the extractive answerer counts them) must be found in the
   passage, and its embedding must be close to one of the passage's sentences. A
   sentence that cites nothing, or the wrong passage, but is supported by another given
   passage is kept with that passage as its citation (verdicts ``uncited`` and
   ``recited``). A sentence quoted word for word from a passage is supported by it.
3. Numbers (dates are numbers too) and, in sentences written mostly in Hangul, proper
   nouns and Latin-script names that occur in no given passage are flagged; such a
   sentence is dropped however well it overlaps (verdict ``invented``).

Sentences that pass are kept; the rest are dropped, and every verdict is recorded so an
evaluation can count them. The support thresholds were measured on ``evals/seed.jsonl``
with ``bench/calibrate_verification.py``, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.documents import Document

from assistant.answering.claims import (
    generated_sentences,
    is_refusal,
    mostly_hangul,
    numeric_values,
    quote_key,
    unknown_facts,
)
from assistant.answering.scoring import coverage, dense_score, term_weights
from assistant.storage.store import Store, sentence_id
from assistant.text.korean import KoreanAnalyzer, content_terms
from assistant.types import Span

if TYPE_CHECKING:
    from assistant.models.embedder import Embedder

# A sentence's support by a passage: W_LEXICAL * coverage + W_DENSE * dense (scoring.py).
# A sentence without Hangul (an English answer to Korean passages) shares no morphemes
# with them, so its support is the dense part alone, with its own threshold.
W_LEXICAL, W_DENSE = 0.8, 0.2
# Measured on the seed set (bench/calibrate_verification.py --answers …, 48 supported and
# 218 unsupported Korean pairs from the article and from the 1.5B model's answers; 21/54
# English pairs). Lexical weight: 0.8 separated best short of dropping the embeddings
# (balanced accuracy .922; 0.6: .901; 1.0: .953 but blind to meaning). Threshold 0.75 is
# the highest that keeps every supported pair; it drops 83% of the unsupported ones
# (.913; the best, .922 at 0.85, would drop 4% of the supported). Without Hangul the
# e5-small cross-lingual cosine is a weak signal: 0.375 is its best (.774; keeps 71%,
# drops 83%), so English answers are checked less strictly than Korean ones.
SUPPORT_THRESHOLD = 0.75
SUPPORT_THRESHOLD_NO_HANGUL = 0.375

VERDICTS = ("supported", "uncited", "recited", "unsupported", "invented", "refusal", "neutral")
KEPT = frozenset({"supported", "uncited", "recited", "neutral"})
SUPPORTED = frozenset({"supported", "uncited", "recited"})
FLAGGED = frozenset({"recited", "unsupported", "invented"})  # failed a check


@dataclass(frozen=True, slots=True)
class SentenceVerdict:
    """One generated sentence and what the check found."""

    text: str  # without its [n] markers
    cited: tuple[int, ...]  # the passage numbers the model wrote
    verdict: str  # one of VERDICTS
    passage: int | None = None  # the given passage that supports it (its citation)
    support: float = 0.0  # support by that passage (or the best one when unsupported)
    coverage: float = 0.0
    cosine: float = 0.0
    invalid_citations: tuple[int, ...] = ()  # numbers never given
    unknown_facts: tuple[str, ...] = ()  # in no given passage
    evidence: Span | None = None  # best-supporting sentence of that passage (offsets)

    @property
    def kept(self) -> bool:
        """Whether the sentence is shown (it passed, or it states nothing to check)."""
        return self.verdict in KEPT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as ``Answer.verification`` records it."""
        return {
            "text": self.text,
            "cited": list(self.cited),
            "verdict": self.verdict,
            "passage": self.passage,
            "support": self.support,
            "coverage": self.coverage,
            "cosine": self.cosine,
            "invalid_citations": list(self.invalid_citations),
            "unknown_facts": list(self.unknown_facts),
            "evidence": [self.evidence.start, self.evidence.end] if self.evidence else None,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdicts of every sentence of one generated answer."""

    sentences: tuple[SentenceVerdict, ...]

    @property
    def claims(self) -> list[SentenceVerdict]:
        """Sentences that state something (not refusals, not content-free filler)."""
        return [s for s in self.sentences if s.verdict not in {"refusal", "neutral"}]

    @property
    def supported(self) -> list[SentenceVerdict]:
        """Sentences a given passage supports (with its own or a corrected citation)."""
        return [s for s in self.sentences if s.verdict in SUPPORTED]

    @property
    def dropped(self) -> list[SentenceVerdict]:
        """Sentences that failed a check and are not shown (refusals aside)."""
        return [s for s in self.sentences if not s.kept and s.verdict != "refusal"]

    @property
    def is_refusal(self) -> bool:
        """The model said the passages do not hold the answer, and claimed nothing."""
        return any(s.verdict == "refusal" for s in self.sentences) and not self.supported

    def to_dicts(self) -> tuple[dict[str, Any], ...]:
        """Every verdict, JSON-ready, in the answer's order."""
        return tuple(s.to_dict() for s in self.sentences)


@dataclass(frozen=True, slots=True)
class SupportMatrix:
    """Sentence × passage scores; ``evidence[i][j]`` is passage j's closest sentence."""

    support: np.ndarray
    coverage: np.ndarray
    cosine: np.ndarray
    evidence: list[list[Span | None]]


class Verifier:
    """Scores generated sentences against the given passages (thread-safe, stateless).

    :param store: the index, for BM25 idf weights and the stored sentence vectors.
    :param analyzer: kiwi, for sentences and content morphemes.
    :param embedder: embeds the generated sentences (as queries).
    """

    def __init__(
        self,
        store: Store,
        analyzer: KoreanAnalyzer,
        embedder: Embedder,
        *,
        threshold: float = SUPPORT_THRESHOLD,
        threshold_no_hangul: float = SUPPORT_THRESHOLD_NO_HANGUL,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.embedder = embedder
        self.threshold = threshold
        self.threshold_no_hangul = threshold_no_hangul

    def support_matrix(self, sentences: Sequence[str], docs: Sequence[Document]) -> SupportMatrix:
        """Support, coverage, cosine and evidence span of each sentence by each passage."""
        n, k = len(sentences), len(docs)
        cover = np.zeros((n, k), dtype=np.float32)
        cosine = np.zeros((n, k), dtype=np.float32)
        evidence: list[list[Span | None]] = [[None] * k for _ in range(n)]
        if not n or not k:
            return SupportMatrix(cover.copy(), cover, cosine, evidence)
        lexical = self.store.lexical()
        passage_terms = [set(self.analyzer.terms(d.page_content)) for d in docs]
        passage_keys = [quote_key(d.page_content) for d in docs]
        for i, sentence in enumerate(sentences):
            weights = term_weights(self.analyzer.terms(sentence), lexical)
            key = quote_key(sentence)
            for j, terms in enumerate(passage_terms):
                if len(key) >= 2 and key in passage_keys[j]:
                    cover[i, j] = 1.0  # a verbatim quote ("동해상"), however kiwi splits it
                else:
                    cover[i, j] = coverage(weights, terms)
        vectors = self.embedder.embed_queries(list(sentences))
        for j, doc in enumerate(docs):
            spans = [Span(s, e) for s, e in doc.metadata.get("sentences", [])]
            ids = [sentence_id(doc.metadata["doc_id"], span) for span in spans]
            found = self.store.sentence_vectors(ids)
            pairs = [(sp, found[i]) for sp, i in zip(spans, ids, strict=True) if i in found]
            if not pairs:
                continue
            sims = vectors @ np.stack([v for _, v in pairs]).T  # (n, sentences of passage j)
            best = sims.argmax(axis=1)
            for i in range(n):
                cosine[i, j] = float(sims[i, best[i]])
                evidence[i][j] = pairs[int(best[i])][0]
        hangul = np.array([mostly_hangul(s) for s in sentences])[:, None]
        dense = dense_score(cosine)
        support = np.where(hangul, W_LEXICAL * cover + W_DENSE * dense, dense)
        return SupportMatrix(support.astype(np.float32), cover, cosine, evidence)

    def check(self, answer: str, docs: Sequence[Document]) -> Verification:
        """Verdicts for every sentence of ``answer``; passages are numbered 1..len(docs)."""
        parsed = generated_sentences(answer, self.analyzer)
        m = self.support_matrix([s for s, _ in parsed], docs)
        passages_text = "\n".join(d.page_content for d in docs)
        _, passage_numbers = numeric_values(passages_text)
        return Verification(
            tuple(
                self._verdict(i, text, tuple(cited), m, len(docs), passages_text, passage_numbers)
                for i, (text, cited) in enumerate(parsed)
            )
        )

    def _verdict(
        self,
        i: int,
        text: str,
        cited: tuple[int, ...],
        m: SupportMatrix,
        k: int,
        passages_text: str,
        passage_numbers: set[float],
    ) -> SentenceVerdict:
        invalid = tuple(n for n in cited if not 1 <= n <= k)
        if is_refusal(text):
            return SentenceVerdict(text, cited, "refusal", invalid_citations=invalid)
        tokens = self.analyzer.tokens(text)
        if not content_terms(tokens) and not re.search(r"\d", text):
            # "네." and the like: nothing to check, nothing to cite
            return SentenceVerdict(text, cited, "neutral", invalid_citations=invalid)
        threshold = self.threshold if mostly_hangul(text) else self.threshold_no_hangul
        valid = [n for n in cited if 1 <= n <= k]
        best_cited = max(valid, key=lambda n: m.support[i, n - 1], default=None)
        best_any = int(m.support[i].argmax()) + 1 if k else None
        verdict, passage = "unsupported", best_cited or best_any
        if best_cited is not None and m.support[i, best_cited - 1] >= threshold:
            verdict, passage = "supported", best_cited
        elif best_any is not None and m.support[i, best_any - 1] >= threshold:
            verdict, passage = ("recited" if cited else "uncited"), best_any
        unknown = tuple(unknown_facts(text, tokens, passages_text, passage_numbers))
        if unknown:
            verdict = "invented"
        scores: dict[str, Any] = {}
        if passage is not None:
            j = passage - 1
            scores = {
                "support": round(float(m.support[i, j]), 4),
                "coverage": round(float(m.coverage[i, j]), 4),
                "cosine": round(float(m.cosine[i, j]), 4),
                "evidence": m.evidence[i][j],
            }
        return SentenceVerdict(
            text,
            cited,
            verdict,
            passage,
            invalid_citations=invalid,
            unknown_facts=unknown,
            **scores,
        )
