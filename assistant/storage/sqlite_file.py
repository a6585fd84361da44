"""Opening a SQLite file: checked first, and read-only where the folder is.

A catalog cut short (a full disk, a copy that stopped) otherwise opens fine and fails
later with ``database disk image is malformed`` on whatever query touches the missing
pages. ``header_problem`` reads the 100-byte header and the file size, which costs
nothing and catches truncation and non-SQLite files; ``integrity_problem`` runs SQLite's
``quick_check`` over the whole file, for when the time is worth it (a rebuild).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from assistant.errors import IndexDamaged
from assistant.storage.faults import damaged_message

MAGIC = b"SQLite format 3\x00"


def header_problem(path: Path) -> str | None:
    """What is wrong with the file's header or length, or None (also for a missing or
    empty file, which SQLite treats as a new database)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None
        with path.open("rb") as fh:
            header = fh.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read: {exc}"
    if len(header) < 100 or header[:16] != MAGIC:
        return "not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # the page count is valid only then
    if counted and pages and size < pages * page_size:
        return f"{size} bytes, but its header counts {pages} pages of {page_size}: cut short"
    return None


def integrity_problem(db: sqlite3.Connection) -> str | None:
    """SQLite's ``quick_check`` verdict, or None when the file is sound."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    verdict = "; ".join(str(r[0]) for r in rows[:3])
    return None if verdict == "ok" else verdict


def writable(path: Path) -> bool:
    """Whether this process may change ``path`` (or create it, when it is missing)."""
    if path.exists():
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return os.access(path.parent, os.W_OK)


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection usable from several threads; ``mode=ro`` when ``read_only``.

    :raises IndexDamaged: the header or length shows the file is not a whole database.
    """
    problem = header_problem(path)
    if problem is not None:
        raise IndexDamaged(damaged_message(path, problem))
    if read_only:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    return sqlite3.connect(path, check_same_thread=False)
