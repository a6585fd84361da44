"""The catalog's ``sentence_vectors`` table: one float16 vector per (document, sentence
start), read a few at a time by the answerer and never searched, so it needs no vector
index (at a million chunks: about 1.4 M rows, 1.1 GB on disk, nothing in memory).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

IN_LIST = 500  # values per IN (...) query, well under SQLite's bound-variable limit


class SentenceRows:
    """Reads and upgrade-time writes of the table; ``Catalog`` mixes it in (its ``_db``)."""

    _db: sqlite3.Connection

    def sentence_vectors(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], np.ndarray]:
        """(doc_id, sentence start) → float32 vector, for those of ``keys`` that are stored."""
        by_doc: dict[str, list[int]] = {}
        for doc_id, start in keys:
            by_doc.setdefault(doc_id, []).append(start)
        out: dict[tuple[str, int], np.ndarray] = {}
        for doc_id, starts in by_doc.items():
            for part in (starts[lo : lo + IN_LIST] for lo in range(0, len(starts), IN_LIST)):
                rows = self._db.execute(
                    "SELECT start, vector FROM sentence_vectors WHERE doc_id=? "
                    f"AND start IN ({','.join('?' * len(part))})",
                    (doc_id, *part),
                )
                for start, blob in rows:
                    out[(doc_id, start)] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return out

    def sentence_count(self) -> int:
        """How many sentence vectors are stored."""
        return self._db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0]

    def add_sentence_vectors(self, rows: Sequence[tuple[str, int, np.ndarray]]) -> None:
        """Store (doc_id, start, vector) rows of listed documents, float16 (an upgrade of an
        index whose sentence vectors were elsewhere); the generation is not bumped."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO sentence_vectors VALUES (?,?,?)",
                [(d, s, np.asarray(v, dtype=np.float16).tobytes()) for d, s, v in rows],
            )
