"""Starting an index over, whatever state its files are in (``ingest --rebuild``).

Everything in the index is derived from the article files, so a rebuild may throw it
away; what it must not do is fail on the damage it is meant to cure. ``reset_index``
therefore opens nothing it does not have to: a catalog that fails SQLite's
``quick_check`` is deleted and created anew, the BM25 folder is always deleted, and a
Chroma store whose collections cannot be dropped is set aside whole (it may hold other
collections, so it is renamed rather than deleted, and the note says so).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from pathlib import Path

from assistant.errors import IndexBusy, StoreFull, StoreReadOnly, StoreUnavailable
from assistant.settings import Settings
from assistant.storage.catalog import Catalog
from assistant.storage.faults import Faults, disk_full_message
from assistant.storage.vectors import ChromaVectors
from assistant.storage.write_lock import WriteLock

log = logging.getLogger(__name__)
_PASS_ON = (StoreFull, StoreReadOnly, IndexBusy)  # not damage: no rebuild can cure them


def reset_index(settings: Settings) -> list[str]:
    """Empty the index ``settings`` describe, under the write lock, so that an ingest
    rebuilds it from the files. Returns notes on what was deleted or set aside.

    :raises StoreUnavailable: the Chroma server is unreachable, the disk is full, the
        folder is read-only, or another process keeps writing.
    """
    faults = Faults.of(settings)
    notes: list[str] = []
    with faults.translated():
        if not settings.index_dir.is_dir():
            settings.index_dir.mkdir(parents=True)
        with WriteLock(settings.data_dir, settings.index_lock_timeout).held():
            notes += _reset_catalog(faults)
            shutil.rmtree(settings.index_dir / "bm25", ignore_errors=True)
            notes += _reset_vectors(settings, faults)
    return notes


def _reset_catalog(faults: Faults) -> list[str]:
    path = faults.catalog
    problem = None
    try:
        catalog = Catalog(path)
        try:
            problem = catalog.integrity_problem()
            if problem is None:
                catalog.clear()  # the generation keeps counting, so readers notice
        finally:
            catalog.close()
    except (StoreUnavailable, sqlite3.DatabaseError) as exc:
        if isinstance(exc, _PASS_ON) or isinstance(faults.explain(exc), _PASS_ON):
            raise
        problem = str(exc)
    if problem is None:
        return []
    for suffix in ("-journal", "-wal", "-shm", ""):  # a journal would be replayed into it
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Catalog(path).close()
    return [f"deleted the damaged catalog {path} ({problem}); the ingest lists the files anew"]


def _reset_vectors(settings: Settings, faults: Faults) -> list[str]:
    try:
        vectors = ChromaVectors.connect(settings)
        try:
            if vectors.disk_full:  # opened from a copy: clearing it would clear nothing
                raise StoreFull(disk_full_message(settings.data_dir))
            vectors.clear()
        finally:
            vectors.close()
        return []
    except Exception as exc:
        if isinstance(exc, _PASS_ON) or faults.chroma is None:
            raise  # a server's store is the server's to repair
        problem = str(exc)
    aside = faults.chroma.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    faults.chroma.rename(aside)
    ChromaVectors.connect(settings).close()
    return [
        f"set the damaged Chroma store aside as {aside} ({problem}). Other collections "
        "that were in it are re-embedded by their next ingest; delete that folder when "
        "you no longer need it"
    ]
