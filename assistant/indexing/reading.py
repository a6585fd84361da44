"""Files → their digest and parsed articles: the reading stage of ingest.

A reader yields, for each file in order, a ``Read`` (its sha256 and, unless its bytes are
the ones the store recorded, its articles and the warnings parsing gave) or the exception
that makes the file a skip. ``InlineReader`` reads and parses each file when its turn
comes; a distributed ingest parses ahead on its workers (``ray_ingest.RayReader``) while
the ingest loop, which compares and writes in order, stays the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.indexing.corpus import load_file
from assistant.indexing.limits import Limits
from assistant.storage.keys import path_text
from assistant.types import CHUNKING_VERSION, Article

# (file, its folder root, its key in the store)
FileItem = tuple[Path, Path, str]


@dataclass(frozen=True)
class Read:
    """One file as read: ``articles`` is None when its bytes are those already recorded.

    :param warnings: per-record problems parsing found (bad lines, documents too long),
        in order, for the ingest to report as if it had parsed the file itself.
    """

    sha: str
    articles: list[Article] | None
    warnings: list[str] = field(default_factory=list)


def file_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes, unless its size is over the limit (checked before reading).

    :raises UnreadableFile: the file is too big.
    :raises OSError: it cannot be read.
    """
    limits.check_size(path.stat().st_size, path_text(path))
    return path.read_bytes()


def digest(data: bytes) -> str:
    """What the store records a file by: its sha256 and ``CHUNKING_VERSION``, so an index
    chunked by an earlier version reads every file again at its next ingest."""
    return f"{hashlib.sha256(data).hexdigest()}.v{CHUNKING_VERSION}"


Parsed = tuple[list[Article], list[str]]  # articles, and the warnings parsing gave


def parse(path: Path, root: Path, data: bytes, limits: Limits) -> Parsed | Exception:
    """``corpus.load_file`` on bytes already read, its warnings kept; any failure is
    returned, not raised, so a worker can send it back as a value."""
    try:
        warnings: list[str] = []
        articles = load_file(path, root, warnings.append, limits=limits, data=data)
    except Exception as exc:
        return exc
    return articles, warnings


def as_read(sha: str, parsed: Parsed | Exception) -> Read | Exception:
    """A ``parse`` result as what a reader yields."""
    if isinstance(parsed, Exception):
        return parsed
    return Read(sha, *parsed)


class Reader(Protocol):
    """Reads files in order; see the module docstring."""

    def read(
        self, files: Sequence[FileItem], recorded: Callable[[str], str | None]
    ) -> Iterator[Read | Exception]:
        """A ``Read`` or an exception per file of ``files``, in their order.

        :param recorded: the sha256 the store holds for a file key (None: none).
        """
        ...


class InlineReader:
    """Reads and parses each file in this process, when the loop asks for it.

    :param limits: the most a file and a document may be.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def read(
        self, files: Sequence[FileItem], recorded: Callable[[str], str | None]
    ) -> Iterator[Read | Exception]:
        """See ``Reader.read``."""
        for path, root, key in files:
            try:
                data = file_bytes(path, self.limits)
            except Exception as exc:
                yield exc
                continue
            sha = digest(data)
            if recorded(key) == sha:
                yield Read(sha, None)
            else:
                yield as_read(sha, parse(path, root, data, self.limits))
