"""What one file may cost an ingest: its size, a document's length and a JSON record's
nesting, each with the message that names the limit and the setting that raises it.

Without them one oversized or hostile file (a 50 MB single line, JSON nested ten
thousand levels) stalls or crashes the whole run instead of being skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from assistant.errors import UnreadableFile

if TYPE_CHECKING:
    from assistant.settings import Settings

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH = str.maketrans({"[": "1", "{": "1", "]": "2", "}": "2"})


@dataclass(frozen=True, slots=True)
class Limits:
    """The most one file or document may be; the defaults are the settings' defaults.

    :param max_file_bytes: a bigger file is not read (``ingest_max_file_bytes``).
    :param max_document_chars: a longer document is not chunked or embedded
        (``ingest_max_document_chars``).
    :param max_json_depth: a JSON value nested deeper is not parsed
        (``ingest_max_json_depth``); Python's parser would overflow its stack first.
    """

    max_file_bytes: int = 20_000_000
    max_document_chars: int = 2_000_000
    max_json_depth: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits configured in ``settings``."""
        return cls(
            max_file_bytes=settings.ingest_max_file_bytes,
            max_document_chars=settings.ingest_max_document_chars,
            max_json_depth=settings.ingest_max_json_depth,
        )

    def check_size(self, size: int, name: str) -> None:
        """:raises UnreadableFile: ``size`` bytes is over ``max_file_bytes``."""
        if size > self.max_file_bytes:
            raise UnreadableFile(
                f"{name}: {size / 1e6:.1f} MB is over the limit of "
                f"{self.max_file_bytes / 1e6:g} MB per file (setting ingest_max_file_bytes)"
            )

    def document_too_long(self, chars: int, name: str) -> str | None:
        """Why a document of ``chars`` characters is skipped, or None when it fits."""
        if chars <= self.max_document_chars:
            return None
        return (
            f"{name}: {chars:,} characters is over the limit of {self.max_document_chars:,} "
            "per document (setting ingest_max_document_chars)"
        )

    def check_depth(self, text: str) -> None:
        """:raises UnreadableFile: the JSON in ``text`` nests deeper than ``max_json_depth``
        (the message does not name the file; the caller knows it)."""
        depth = json_depth(text)
        if depth > self.max_json_depth:
            raise UnreadableFile(
                f"JSON nested {depth:,} levels deep, over the limit of "
                f"{self.max_json_depth} (setting ingest_max_json_depth)"
            )


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, brackets inside strings ignored.

    Linear in the text and free of recursion, so it can be asked before parsing; for text
    that is not JSON it is a rough count, and parsing then reports the real error.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if not brackets:
        return 0
    steps = (1 if c == "1" else -1 for c in brackets.translate(_DEPTH))
    return max(accumulate(steps))
