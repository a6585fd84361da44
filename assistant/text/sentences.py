"""Mending the sentence boundaries kiwi proposes, inside one block of text.

kiwi's splitter is good on plain prose and wrong in a few regular ways around quotes,
brackets and punctuation; :func:`mend` fixes those, in this order:

1. a missed end: Hangul, a final mark and a space, outside any quote, is cut (kiwi kept
   `…가리켰다. "이제 …` as one sentence; a quote ending `…다." 하여` is left alone);
2. a cut inside a quotation or bracket (``quotes.protected``) is undone;
3. punctuation that opens a sentence (`. 경기 종료가`) goes back to the one before;
4. a cut with no white space (`"철학"|이라는`, `것이었다|면`) is undone, unless a final
   mark is followed by a letter (a missing space, `했다.그는`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from assistant.text import quotes
from assistant.types import Span

_FINAL = re.compile(r"(?<=[\uac00-\ud7a3])[.?!]+\s+")
_LEADING = re.compile(r"[.?!,;:。]+\s*")
FINAL_MARKS = ".?!…。"


def mend(text: str, spans: Sequence[Span], max_quote_chars: int) -> list[Span]:
    """``spans`` (kiwi's sentences of ``text``, in order) with the four fixes above."""
    regions = quotes.protected(text, max_quote_chars)
    out = merge(resplit(text, spans, regions), regions)
    return glue(text, leading_punctuation(text, out))


def resplit(text: str, spans: Sequence[Span], regions: Sequence[Span]) -> list[Span]:
    """``spans`` cut further after every sentence-final mark behind Hangul that stands
    outside the ``regions``."""
    out: list[Span] = []
    for span in spans:
        start = span.start
        for m in _FINAL.finditer(text, span.start, span.end):
            if m.end() < span.end and not quotes.inside(regions, m.end()):
                out.append(Span(start, m.start() + len(m.group().rstrip())))
                start = m.end()
        out.append(Span(start, span.end))
    return out


def merge(spans: Sequence[Span], regions: Sequence[Span]) -> list[Span]:
    """Consecutive ``spans`` joined wherever the next one starts inside a region."""
    starts = [r.start for r in regions]
    out: list[Span] = []
    for span in spans:
        opened = regions[: bisect.bisect_left(starts, span.start)]
        if out and quotes.inside(opened, span.start):
            out[-1] = Span(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def glue(text: str, spans: Sequence[Span]) -> list[Span]:
    """Consecutive ``spans`` joined where nothing but non-space text separates them."""
    out: list[Span] = []
    for span in spans:
        if out and _joined(text, out[-1], span):
            out[-1] = Span(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def _joined(text: str, prev: Span, span: Span) -> bool:
    """True when ``span`` continues ``prev`` without a space between them."""
    if prev.end != span.start or span.start >= len(text) or prev.end == prev.start:
        return False
    before, after = text[prev.end - 1], text[span.start]
    if before.isspace() or after.isspace():
        return False
    return not (before in FINAL_MARKS and after.isalpha())


def leading_punctuation(text: str, spans: Sequence[Span]) -> list[Span]:
    """Punctuation at the start of a span moved to the end of the span before it."""
    out: list[Span] = []
    for span in spans:
        m = _LEADING.match(text, span.start, span.end)
        if out and m:
            end = span.start + len(m.group().rstrip())
            out[-1] = Span(out[-1].start, end)
            span = Span(m.end(), span.end)
        if span.end > span.start:
            out.append(span)
    return out
