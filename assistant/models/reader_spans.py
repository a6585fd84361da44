"""Question + passage pairs as reader inputs, and span logits back to passage characters.

The reader sees ``<s> question </s></s> passage </s>`` (XLM-R pair layout, question
first). Position 0 (``<s>``) stands for "no answer in this passage", SQuAD 2.0 style.
Everything here is plain numpy over ``tokenizers`` encodings, so the training code and
the OpenVINO runtime share one mapping between characters and tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

MAX_TOKENS = 256
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30
PAD_ID = 1


@dataclass(frozen=True, slots=True)
class PairBatch:
    """A padded batch of pairs: ids and mask (batch × tokens, int64), and for each token
    its character range in the passage, (-1, -1) for question, special and pad tokens."""

    ids: np.ndarray
    mask: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True, slots=True)
class ReadSpan:
    """The reader's verdict on one passage.

    ``start``/``end`` are character offsets of the best span in the passage text
    (``text == passage[start:end]``); ``score`` its start+end logit, ``null`` the
    no-answer logit (``<s>`` as start and end). ``score - null`` > a threshold: answer.
    """

    start: int
    end: int
    text: str
    score: float
    null: float

    @property
    def margin(self) -> float:
        """How much the best span beats "no answer"."""
        return self.score - self.null


def load_tokenizer(folder: Path) -> Tokenizer:
    """The XLM-R tokenizer of the prepared e5 folder, without padding or truncation."""
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def encode_pair(
    tok: Tokenizer, question: str, passage: str, max_tokens: int = MAX_TOKENS
) -> Encoding:
    """One pair, the question cut to ``MAX_QUESTION_TOKENS`` and the passage to what fits.

    :param tok: from :func:`load_tokenizer`.
    :param max_tokens: the whole input's limit, special tokens included.
    """
    q_len = len(tok.encode(question, add_special_tokens=False).ids)
    tok.enable_truncation(
        max_tokens, strategy="only_second" if q_len <= MAX_QUESTION_TOKENS else "longest_first"
    )
    try:
        return tok.encode(question, passage)
    finally:
        tok.no_truncation()


def passage_offsets(enc: Encoding) -> np.ndarray:
    """(tokens, 2) character ranges in the passage; (-1, -1) outside it."""
    out = np.full((len(enc.ids), 2), -1, dtype=np.int64)
    for i, (seq, (a, b)) in enumerate(zip(enc.sequence_ids, enc.offsets, strict=True)):
        if seq == 1 and b > a:
            out[i] = (a, b)
    return out


def batch(encodings: list[Encoding]) -> PairBatch:
    """Pad encodings to the longest one."""
    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    offsets = np.full((len(encodings), width, 2), -1, dtype=np.int64)
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        ids[row, :n] = enc.ids
        mask[row, :n] = 1
        offsets[row, :n] = passage_offsets(enc)
    return PairBatch(ids, mask, offsets)


def token_span(offsets: np.ndarray, start: int, end: int) -> tuple[int, int]:
    """Token positions of the characters ``[start, end)`` of the passage; (0, 0) when
    the span is not (wholly) inside the encoded passage: no answer here.

    :param offsets: one row of :attr:`PairBatch.offsets` or :func:`passage_offsets`.
    """
    inside = np.flatnonzero(offsets[:, 1] > 0)
    if end <= start or inside.size == 0 or end > offsets[inside[-1], 1]:
        return 0, 0
    first = inside[offsets[inside, 1] > start]
    last = inside[offsets[inside, 0] < end]
    if first.size == 0 or last.size == 0 or first[0] > last[-1]:
        return 0, 0
    return int(first[0]), int(last[-1])


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: np.ndarray,
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
) -> tuple[int, int, float]:
    """The passage span (token positions) with the highest start+end logit.

    :returns: (first token, last token, score); (0, 0, -inf) when the passage is empty.
    """
    valid = offsets[:, 1] > 0
    s = np.where(valid, start_logits, -np.inf)
    e = np.where(valid, end_logits, -np.inf)
    n = len(s)
    scores = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    scores = np.where((j >= i) & (j - i < max_answer_tokens), scores, -np.inf)
    flat = int(np.argmax(scores))
    first, last = divmod(flat, n)
    best = float(scores[first, last])
    if not np.isfinite(best):
        return 0, 0, float("-inf")
    return first, last, best


def decode(
    passage: str, start_logits: np.ndarray, end_logits: np.ndarray, offsets: np.ndarray
) -> ReadSpan:
    """One passage's logits → its best span in characters and the no-answer score."""
    null = float(start_logits[0] + end_logits[0])
    first, last, score = best_span(start_logits, end_logits, offsets)
    if not np.isfinite(score):
        return ReadSpan(0, 0, "", score, null)
    a, b = int(offsets[first, 0]), int(offsets[last, 1])
    while a < b and passage[a].isspace():
        a += 1
    return ReadSpan(a, b, passage[a:b], score, null)


def trim_particles(
    span: ReadSpan, morphemes: Callable[[str], list[tuple[str, str, int, int]]]
) -> ReadSpan:
    """The span without the Korean particles that end it ("대통령이" → "대통령").

    XLM-R's pieces often join a noun and its particle ("▁1989", "년에"), so a span can only
    end after the particle; KorQuAD's answers never include it.

    :param morphemes: (form, tag, start, end) of a text, e.g. ``KoreanAnalyzer.morphemes``.
    """
    text = without_particles(span.text, morphemes)
    return ReadSpan(span.start, span.start + len(text), text, span.score, span.null)


def without_particles(
    text: str, morphemes: Callable[[str], list[tuple[str, str, int, int]]]
) -> str:
    """``text`` without the particles (kiwi tags J*) that end it, never emptied."""
    end = len(text)
    for _, tag, start, _ in reversed(morphemes(text)):
        if not tag.startswith("J") or start == 0:
            break
        end = start
    return text[:end].rstrip()
