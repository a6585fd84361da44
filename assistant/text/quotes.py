"""Quotation marks and brackets: where a sentence may not be cut.

A quoted or bracketed stretch (“ ” ‘ ’ " ' 「 」 『 』 ( ) [ ] 〈 〉 《 》) is one unit for
sentence splitting: a sentence boundary inside it is dropped and the pieces merge. A pair
that spans more than ``max_chars`` characters protects nothing, so a quote that is never
closed (or a stray mark that pairs with one far away) cannot swallow a whole article.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import Span

# Longest quote or bracket kept whole; the longest real one in KorQuAD dev is shorter
# (BENCHMARKS.md, "Issue 13").
MAX_QUOTE_CHARS = 600

PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "(": ")", "[": "]", "〈": "〉", "《": "》"}
CLOSERS = {close: open_ for open_, close in PAIRS.items()}
SYMMETRIC = frozenset("\"'")


def protected(text: str, max_chars: int = MAX_QUOTE_CHARS) -> list[Span]:
    """Spans from an opening mark to its closing mark (both included), in order of their
    start, each at most ``max_chars`` long; unmatched marks protect nothing."""
    stack: list[tuple[str, int]] = []
    found: list[Span] = []
    for i, ch in enumerate(text):
        if ch in PAIRS:
            stack.append((ch, i))
        elif ch in CLOSERS:
            _close(stack, CLOSERS[ch], i, found)
        elif ch in SYMMETRIC:
            prev = text[i - 1] if i else " "
            nxt = text[i + 1] if i + 1 < len(text) else " "
            if ch == "'" and prev.isascii() and prev.isalnum() and nxt.isalnum():
                continue  # an apostrophe: don't, 90's
            if prev.isspace() or prev in PAIRS or (prev in SYMMETRIC and prev != ch):
                if not nxt.isspace():
                    stack.append((ch, i))
            else:
                _close(stack, ch, i, found)
    found = [s for s in found if s.end - s.start <= max_chars]
    return sorted(found, key=lambda s: s.start)


def _close(stack: list[tuple[str, int]], opener: str, at: int, found: list[Span]) -> None:
    """Pair the closing mark at ``at`` with the nearest open ``opener``; the marks opened
    after that one stay unmatched."""
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == opener:
            found.append(Span(stack[depth][1], at + 1))
            del stack[depth:]
            return


def inside(regions: Sequence[Span], pos: int) -> bool:
    """True when a cut before character ``pos`` would fall inside one of the ``regions``
    (strictly after its opening mark, at or before its closing mark)."""
    return any(r.start < pos < r.end for r in regions)
