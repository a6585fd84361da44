"""What a failing disk or file means: low-level errors turned into the assistant's own.

SQLite, Chroma and the OS report a full disk, a damaged file or a read-only folder in
their own words (``sqlite3.OperationalError: database or disk is full``, Chroma's
``InternalError: Error in compaction…``, ``OSError(ENOSPC)``). ``Faults.explain`` maps
them to ``StoreFull``, ``StoreReadOnly`` or ``IndexDamaged``, whose messages name the
folder or file and say what to do; anything else is left alone.

Writes also stop short of a really full disk: ``check_space`` raises ``StoreFull`` when
less than ``min_free_disk_mb`` is free, because embedded Chroma can hang for good in an
upsert that meets the end of the disk (chromadb 1.5, seen on a tmpfs with 256 KB left).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import (
    AssistantError,
    IndexDamaged,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from assistant.settings import Settings

# Chroma reports a full disk during compaction without saying so ("Failed to apply logs
# to the metadata segment"); with less free space than this, the disk is taken as the cause.
LOW_SPACE = 64 * 2**20
REBUILD = "assistant ingest --rebuild FOLDER…"  # FOLDER: the article folders ingested before

_FULL = ("database or disk is full", "no space left on device", "os error 28", "(code: 13)")
_READ_ONLY = ("readonly database", "read-only file system", "os error 30", "(code: 8)")
_DAMAGED = ("disk image is malformed", "file is not a database", "(code: 11)", "(code: 26)")


def disk_full_message(data_dir: Path, detail: str = "") -> str:
    """The one message for every full-disk error (``detail``: how full, when known)."""
    return (
        f"The disk holding DATA_DIR ({data_dir}) is full{detail}. The batch being written "
        "was not recorded, and the index is as it was before it. Free some space on that "
        "disk, then run the ingest again; it continues where it stopped."
    )


def read_only_message(data_dir: Path) -> str:
    """What to say when a write meets a folder this process may only read."""
    return (
        f"DATA_DIR ({data_dir}) is read-only here, so nothing can be ingested into it. "
        "Questions are answered from the index as it is; to add articles, run the ingest "
        "where the folder is writable."
    )


def damaged_message(path: Path, detail: str) -> str:
    """What to say about a damaged index file, and how to start the index over."""
    return (
        f"The index file {path} is damaged ({detail}). Rebuild the index from your article "
        f"files with `{REBUILD}` (the folders you ingested); it sets aside or replaces the "
        "damaged files."
    )


@dataclass(frozen=True, slots=True)
class Faults:
    """Where an index lives, so errors from its parts can name the right file.

    :param data_dir: the folder named in full-disk and read-only messages.
    :param catalog: the catalog's SQLite file.
    :param chroma: the embedded Chroma folder (None when a Chroma server is used).
    :param reserve: bytes that must stay free for a write to start (0: no check).
    """

    data_dir: Path
    catalog: Path
    chroma: Path | None
    reserve: int = 0

    @classmethod
    def of(cls, settings: Settings) -> Faults:
        """The places of the index ``settings`` describe."""
        chroma = None if settings.chroma_host else settings.data_dir / "chroma"
        reserve = settings.min_free_disk_mb * 2**20
        return cls(settings.data_dir, settings.index_dir / "catalog.sqlite", chroma, reserve)

    def check_space(self) -> None:
        """Refuse to start a write with less than ``reserve`` bytes free.

        :raises StoreFull: naming DATA_DIR and how much is free.
        """
        free = self._free()
        if self.reserve and free is not None and free < self.reserve:
            detail = (
                f" ({free / 2**20:.1f} MB free; writes stop below {self.reserve / 2**20:.0f} MB)"
            )
            raise StoreFull(disk_full_message(self.data_dir, detail))

    def explain(self, exc: BaseException, *, source: str = "catalog") -> StoreUnavailable | None:
        """The assistant's error for ``exc``, or None when it is none of the known kinds.

        :param source: ``"catalog"`` or ``"chroma"``: whose file a damage report is about.
        """
        if isinstance(exc, AssistantError):
            return None
        if isinstance(exc, OSError):
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return StoreFull(disk_full_message(self.data_dir))
            if exc.errno == errno.EROFS:
                return StoreReadOnly(read_only_message(self.data_dir))
            return None
        text = str(exc).lower()
        code = getattr(exc, "sqlite_errorcode", None)
        code = code & 0xFF if isinstance(code, int) else None
        if code == sqlite3.SQLITE_FULL or any(s in text for s in _FULL):
            return StoreFull(disk_full_message(self.data_dir))
        if code == sqlite3.SQLITE_READONLY or any(s in text for s in _READ_ONLY):
            return StoreReadOnly(read_only_message(self.data_dir))
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or any(
            s in text for s in _DAMAGED
        ):
            path = self.catalog
            if source == "chroma" and self.chroma is not None:
                path = self.chroma / "chroma.sqlite3"
            return IndexDamaged(damaged_message(path, str(exc)))
        if source == "chroma" and "compaction" in text and self.low_space():
            return StoreFull(disk_full_message(self.data_dir))
        return None

    def low_space(self) -> bool:
        """Whether the disk holding DATA_DIR has less than ``LOW_SPACE`` bytes free."""
        free = self._free()
        return free is not None and free < LOW_SPACE

    def _free(self) -> int | None:
        folder = self.data_dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return None

    @contextmanager
    def translated(self, source: str = "catalog") -> Iterator[None]:
        """Raise the assistant's error in place of a known low-level one (chained to it)."""
        try:
            yield
        except Exception as exc:
            mapped = self.explain(exc, source=source)
            if mapped is None:
                raise
            raise mapped from exc
