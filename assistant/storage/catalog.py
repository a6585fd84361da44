"""The SQLite catalog: which file produced which document, and what the index counts.

Each document's text and hash, its chunks (sentence offsets, cached morphemes), each
sentence's vector (float16, never searched), and a ``generation`` every write bumps. A
chunk counts as indexed once listed here; Chroma may hold more after an interrupted
run, never less (``store``). With a Chroma server this is a cache of it (``mirror``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.storage import sqlite_file
from assistant.storage.catalog_export import Export
from assistant.storage.keys import day_number, unique_sentences
from assistant.storage.lexical import LexicalRows
from assistant.storage.sentence_rows import SentenceRows
from assistant.types import Article, Chunk, Span, StoredChunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha TEXT NOT NULL, doc_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, hash TEXT NOT NULL, title TEXT NOT NULL,
    source TEXT NOT NULL, url TEXT, published TEXT, metadata TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, sentences TEXT NOT NULL, terms TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS docs_path ON docs(path);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT NOT NULL, root TEXT NOT NULL, PRIMARY KEY (name, root));
CREATE TABLE IF NOT EXISTS sentence_vectors (
    doc_id TEXT NOT NULL, start INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (doc_id, start)) WITHOUT ROWID;
"""
# Set on a catalog whose document ids carry their source (``corpus/000_…``); a catalog
# with documents and without it was written before, with ids that could collide.
ID_SCHEME_KEY, ID_SCHEME = "doc_ids", "source-scoped"
# Set once sentence vectors live in the catalog (float16 rows of ``sentence_vectors``);
# an index with documents and without it kept them in a Chroma collection of their own.
SENTENCES_KEY, SENTENCES_HERE = "sentence_vectors", "catalog-float16"
BATCH = 500  # ids per IN (...) query, well under SQLite's bound-variable limit


class Catalog(SentenceRows, Export):
    """The catalog in one SQLite file; each write method is one transaction.

    The connection may be used from several threads (the web server's workers); the
    caller serialises writes (``Store`` holds a lock around them).

    :param path: the ``catalog.sqlite`` file; created with the schema if missing, opened
        read-only (``read_only`` is then True) where this process may not write it.
    :raises IndexDamaged: the file is cut short or is not a SQLite database.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = not sqlite_file.writable(path)
        self._db = sqlite_file.connect(path, read_only=self.read_only)
        if not self.read_only:
            self._db.executescript(SCHEMA)

    def backup(self, path: Path) -> None:
        """Copy the catalog, consistent, into a new file at ``path`` (SQLite's online
        backup: other connections may go on writing meanwhile)."""
        target = sqlite3.connect(path)
        try:
            self._db.backup(target)
        finally:
            target.close()

    def integrity_problem(self) -> str | None:
        """What SQLite's ``quick_check`` finds wrong with the whole file, or None."""
        return sqlite_file.integrity_problem(self._db)

    def close(self) -> None:
        """Close the connection; the catalog cannot be used afterwards."""
        self._db.close()

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        """The stored value of ``key``, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, values: dict[str, str]) -> None:
        """Store all ``values`` in one transaction (the generation is not bumped)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    @property
    def generation(self) -> int:
        """How many write transactions the catalog has seen; a BM25 index built at another
        generation is stale."""
        return int(self.meta("generation") or 0)

    def _bump(self) -> None:
        """Count one more write; call inside the write's transaction."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(self.generation + 1),)
        )

    # ------------------------------------------------------------------ files and docs

    def file_sha(self, path: str) -> str | None:
        """The sha256 the file had when its documents were last recorded, or None."""
        row = self._db.execute("SELECT sha FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def file_doc_ids(self, path: str) -> list[str]:
        """The document ids recorded for a file ([] for an unknown file)."""
        row = self._db.execute("SELECT doc_ids FROM files WHERE path=?", (path,)).fetchone()
        return json.loads(row[0]) if row else []

    def files(self) -> dict[str, tuple[str, list[str]]]:
        """path → (sha256, doc ids) of every recorded file."""
        rows = self._db.execute("SELECT path, sha, doc_ids FROM files")
        return {p: (sha, json.loads(ids)) for p, sha, ids in rows}

    def files_under(self, roots: Iterable[str | Path]) -> list[str]:
        """Recorded file keys equal to any of ``roots`` or below one (a ``/`` follows it).

        :param roots: file keys of folders or files (``keys.file_key``), taken as given.
        """
        prefixes = [str(r) for r in roots]
        paths = [p for (p,) in self._db.execute("SELECT path FROM files")]
        return [p for p in paths if any(p == r or p.startswith(r + "/") for r in prefixes)]

    def document_paths(self) -> list[tuple[str, str]]:
        """(file key, source file) of every listed document, distinct, sorted."""
        return self._db.execute("SELECT DISTINCT path, source FROM docs ORDER BY path").fetchall()

    # ------------------------------------------------------------------ sources

    def source_names(self, root: str) -> list[str]:
        """The source names ``root`` (a folder, as text) was ingested under, first first."""
        rows = self._db.execute("SELECT name FROM sources WHERE root=? ORDER BY rowid", (root,))
        return [n for (n,) in rows]

    def sources(self) -> dict[str, list[str]]:
        """name → the folders ingested under it, for every recorded source."""
        out: dict[str, list[str]] = {}
        for name, root in self._db.execute("SELECT name, root FROM sources ORDER BY rowid"):
            out.setdefault(name, []).append(root)
        return out

    def bind_source(self, name: str, root: str) -> None:
        """Record that ``root`` was ingested under ``name`` (kept if already recorded)."""
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO sources VALUES (?, ?)", (name, root))

    def doc_hashes(self, doc_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """doc_id → (content hash, path) for those of the ids the catalog lists."""
        out: dict[str, tuple[str, str]] = {}
        for part in _batches(doc_ids):
            rows = self._db.execute(
                f"SELECT doc_id, hash, path FROM docs WHERE doc_id IN ({_marks(part)})", part
            )
            out.update({d: (h, p) for d, h, p in rows})
        return out

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) listed."""
        docs = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def doc_ids(self) -> set[str]:
        """Every listed document id."""
        return {d for (d,) in self._db.execute("SELECT doc_id FROM docs")}

    def chunk_ids(self) -> set[str]:
        """Every listed chunk id."""
        return {c for (c,) in self._db.execute("SELECT chunk_id FROM chunks")}

    def documents(self) -> Iterator[tuple[str, str, str]]:
        """(doc_id, title, source) for every listed document, ordered by source."""
        yield from self._db.execute("SELECT doc_id, title, source FROM docs ORDER BY source")

    def document_page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of listed documents by id: id, title, source, url, date, chunk count."""
        rows = self._db.execute(
            "SELECT d.doc_id, d.title, d.source, d.url, d.published, d.path, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) "
            "FROM docs d ORDER BY d.doc_id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        keys = ("doc_id", "title", "source", "url", "published", "path", "chunks")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def document_text(self, doc_id: str) -> str | None:
        """The full text of a listed document (what chunk offsets refer to), or None."""
        row = self._db.execute("SELECT text FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ chunks

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """chunk_id → chunk for those of the ids the catalog lists."""
        out: dict[str, StoredChunk] = {}
        for part in _batches(chunk_ids):
            rows = self._db.execute(
                "SELECT c.chunk_id, c.doc_id, c.idx, c.start, c.end, c.sentences, d.title, "
                "d.source, d.url, d.published, d.text FROM chunks c JOIN docs d "
                f"ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({_marks(part)})",
                part,
            )
            for r in rows:
                out[r[0]] = StoredChunk(*r[:5], _spans(r[5]), *r[6:])
        return out

    def lexical_rows(self) -> LexicalRows:
        """Every listed chunk's cached morphemes, source and day, by chunk id (so replicas
        filled in another order build the same BM25 index, ties included). Equal terms and
        sources share one string (1M chunks: ~37M terms, tens of thousands distinct)."""
        one, days, out = {}.setdefault, {}, LexicalRows([], [], [], [])
        for chunk_id, terms, source, published in self._db.execute(
            "SELECT c.chunk_id, c.terms, d.source, d.published FROM chunks c "
            "JOIN docs d ON d.doc_id = c.doc_id ORDER BY c.chunk_id"
        ):
            out.chunk_ids.append(chunk_id)
            out.terms.append([one(t, t) for t in terms.split()])
            out.sources.append(one(source, source))
            out.days.append(days.setdefault(published, day_number(published)))
        return out

    # ------------------------------------------------------------------ writes

    def delete(self, doc_ids: Sequence[str], paths: Sequence[str]) -> None:
        """Unlist documents (with their chunks) and files in one transaction."""
        with self._db:
            self._unlist(doc_ids, paths)
            self._bump()

    def _unlist(self, doc_ids: Sequence[str], paths: Sequence[str]) -> None:
        for part in _batches(doc_ids):
            for table in ("chunks", "docs", "sentence_vectors"):
                self._db.execute(f"DELETE FROM {table} WHERE doc_id IN ({_marks(part)})", part)
        self._db.executemany("DELETE FROM files WHERE path=?", [(p,) for p in paths])

    def set_sources(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Replace every source with ``pairs`` (name, folder), in that order."""
        with self._db:
            self._db.execute("DELETE FROM sources")
            self._db.executemany("INSERT OR IGNORE INTO sources VALUES (?, ?)", pairs)

    def insert(
        self,
        docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
        chunk_terms: Sequence[Sequence[str]],
        files: dict[str, tuple[str, list[str]]],
        sentence_vectors: np.ndarray,
        *,
        unlist: tuple[Sequence[str], Sequence[str]] = ((), ()),
        meta: dict[str, str] | None = None,
    ) -> None:
        """List documents, their chunks, sentence vectors and files in one transaction
        (replacing same ids), after unlisting ``unlist`` (doc ids, paths) and with ``meta``
        values set in the same transaction (a replica's sync, see ``mirror``).

        :param docs: (article, path, chunks) per document.
        :param chunk_terms: each chunk's morphemes, in the order of ``docs``' chunks.
        :param files: path → (sha256, doc_ids) of files whose documents are now complete.
        :param sentence_vectors: one row per ``unique_sentences(chunks)`` of each document,
            in that order; stored as float16.
        """
        terms = iter(chunk_terms)
        rows = iter(np.asarray(sentence_vectors, dtype=np.float16))
        with self._db:
            self._unlist(*unlist)
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", (meta or {}).items())
            for article, path, chunks in docs:
                self._db.execute(
                    "INSERT OR REPLACE INTO docs VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        article.doc_id,
                        path,
                        article.content_hash,
                        article.title,
                        article.source,
                        article.url,
                        article.published,
                        json.dumps(article.metadata, ensure_ascii=False),
                        article.text,
                    ),
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            c.chunk_id,
                            c.doc_id,
                            c.index,
                            c.start,
                            c.end,
                            json.dumps([[s.start, s.end] for s in c.sentences]),
                            " ".join(next(terms)),
                        )
                        for c in chunks
                    ],
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO sentence_vectors VALUES (?,?,?)",
                    [
                        (article.doc_id, s.start, next(rows).tobytes())
                        for s in unique_sentences(chunks)
                    ],
                )
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?)",
                [(p, sha, json.dumps(ids)) for p, (sha, ids) in files.items()],
            )
            self._bump()

    def clear(self) -> None:
        """Unlist everything, meta values too; the generation keeps counting, so no saved
        BM25 index can match the emptied catalog by accident."""
        with self._db:
            for table in ("files", "docs", "chunks", "sources", "sentence_vectors"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("DELETE FROM meta WHERE key != 'generation'")
            self._bump()


def _spans(stored: str) -> tuple[Span, ...]:
    return tuple(Span(s, e) for s, e in json.loads(stored))


def _marks(part: Sequence[Any]) -> str:  # one "?" per value of an IN (...) list
    return ",".join("?" * len(part))


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for lo in range(0, len(items), BATCH):
        yield items[lo : lo + BATCH]
