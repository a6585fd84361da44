"""Long text cut into blocks that one sentence-analysis call can take in milliseconds.

kiwipiepy's sentence splitter grows faster than linearly with its input: a 2 MB line is
minutes in one call, the same text in 2,000-character blocks a few seconds. Cuts fall
where they change nothing or little: at a blank line (sentences never cross one), else a
line break, else after a sentence-final mark, else at a space; a block with no space at
all is cut at the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_BLOCK_CHARS = 2000
# Where to cut, best first; each pattern's match end is the cut.
_CUTS = (
    re.compile(r"\n[^\S\n]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.?!。…][\"'”’)\]]*\s+"),
    re.compile(r"\s+"),
)


def blocks(text: str, max_chars: int = MAX_BLOCK_CHARS) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of consecutive blocks covering ``text``, each at most
    ``max_chars`` long; a text within the limit is one block."""
    start = 0
    while len(text) - start > max_chars:
        end = _cut(text, start, start + max_chars)
        yield start, end
        start = end
    if start < len(text):
        yield start, len(text)


def _cut(text: str, start: int, limit: int) -> int:
    """The best kind of cut in ``text[start:limit]``, the last one in the window's second
    half if there is one there, or ``limit`` when there is none."""
    half = start + (limit - start) // 2
    for pattern in _CUTS:
        for lower in (half, start + 1):
            last = None
            for last in pattern.finditer(text, lower, limit):  # noqa: B007
                pass
            if last is not None and last.end() > start:
                return last.end()
    return limit
