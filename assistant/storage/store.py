"""Where chunks live: Chroma for vectors, a SQLite catalog for text and bookkeeping, and
the BM25 index beside them.

Chroma (embedded ``PersistentClient``, or ``HttpClient`` for a server) holds one vector per
chunk and one per sentence (the answerer scores sentences without re-embedding them).
The catalog records which file produced which document, each document's content hash,
its chunks, their sentence offsets and cached morphemes. Writes go catalog-delete →
Chroma-delete → Chroma-upsert → catalog-insert, so a run killed at any point leaves
documents that the catalog does not list, and the next ingest redoes exactly those.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.errors import IndexMismatch, StoreUnavailable
from assistant.settings import Settings
from assistant.storage.lexical import LexicalIndex, LexicalRows
from assistant.types import Article, Chunk, Span

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
"""
BATCH = 500  # Chroma rejects very large single requests; this keeps each one small


@dataclass(slots=True)
class StoredChunk:
    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    sentences: list[Span]
    title: str
    source: str
    url: str | None
    published: str | None
    doc_text: str

    @property
    def text(self) -> str:
        return self.doc_text[self.start : self.end]


def sentence_id(doc_id: str, span: Span) -> str:
    return f"{doc_id}@{span.start}"


def unique_sentences(chunks: list[Chunk]) -> list[Span]:
    """Each sentence of a document once, though overlapping chunks repeat some."""
    seen: dict[int, Span] = {}
    for chunk in chunks:
        for span in chunk.sentences:
            seen.setdefault(span.start, span)
    return list(seen.values())


def day_number(published: str | None) -> int:
    """YYYY-MM-DD → YYYYMMDD, so Chroma and numpy can filter date ranges on integers."""
    return int(published.replace("-", "")) if published else 0


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.index_dir
        self.folder.mkdir(parents=True, exist_ok=True)
        self._client = _connect(settings)
        self._open_collections()
        self._db = sqlite3.connect(self.folder / "catalog.sqlite", check_same_thread=False)
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._lexical: LexicalIndex | None = None

    def _open_collections(self) -> None:
        name = self.settings.collection
        try:
            self.chunks = self._client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            self.sentences = self._client.get_or_create_collection(
                f"{name}-sentences",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:  # the server can die between heartbeat and this call
            raise StoreUnavailable(_unavailable(self.settings, exc)) from exc

    # ------------------------------------------------------------------ bookkeeping

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def check_model(self, model: str, dim: int) -> None:
        """Refuse to mix vectors of two models in one index."""
        stored = self.meta("embedding_model")
        if stored is None:
            with self._lock, self._db:
                self._set_meta("embedding_model", model)
                self._set_meta("embedding_dim", str(dim))
        elif stored != model or int(self.meta("embedding_dim") or dim) != dim:
            raise IndexMismatch(
                f"The index in {self.folder} was built with the embedding model '{stored}', "
                f"but '{model}' is configured. Run `assistant ingest --rebuild PATH` to "
                "re-embed everything, or set ASSISTANT_EMBEDDING_MODEL back."
            )

    def file_sha(self, path: str) -> str | None:
        row = self._db.execute("SELECT sha FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def file_doc_ids(self, path: str) -> list[str]:
        row = self._db.execute("SELECT doc_ids FROM files WHERE path=?", (path,)).fetchone()
        return json.loads(row[0]) if row else []

    def files_under(self, roots: Iterable[Path]) -> list[str]:
        prefixes = [str(Path(r).resolve()) for r in roots]
        paths = [p for (p,) in self._db.execute("SELECT path FROM files")]
        return [p for p in paths if any(p == r or p.startswith(r + "/") for r in prefixes)]

    def doc_hashes(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """doc_id → (hash, path) for those of the ids the catalog lists."""
        out: dict[str, tuple[str, str]] = {}
        for part in _batches(doc_ids, BATCH):
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT doc_id, hash, path FROM docs WHERE doc_id IN ({marks})", part
            )
            out.update({d: (h, p) for d, h, p in rows})
        return out

    def counts(self) -> tuple[int, int]:
        docs = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return docs, chunks

    # ------------------------------------------------------------------ write path

    def forget(self, doc_ids: list[str], paths: list[str]) -> None:
        """Steps 1–2 of a replace: drop documents from the catalog, then from Chroma."""
        if not doc_ids and not paths:
            return
        with self._lock:
            with self._db:
                for part in _batches(doc_ids, BATCH):
                    marks = ",".join("?" * len(part))
                    self._db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
                    self._db.execute(f"DELETE FROM docs WHERE doc_id IN ({marks})", part)
                self._db.executemany("DELETE FROM files WHERE path=?", [(p,) for p in paths])
                self._bump()
            for part in _batches(doc_ids, BATCH):
                where = {"doc_id": {"$in": part}}
                self._call(self.chunks.delete, where=where)
                self._call(self.sentences.delete, where=where)

    def add(
        self,
        docs: list[tuple[Article, str, list[Chunk]]],
        chunk_vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        chunk_terms: list[list[str]],
        files: dict[str, tuple[str, list[str]]],
    ) -> None:
        """Steps 3–4: vectors into Chroma, then the catalog rows that make them count.

        ``docs`` holds (article, path, chunks); vectors come in the order of chunks and of
        each chunk's not-yet-seen sentences; ``files`` maps path → (sha, doc_ids).
        """
        chunk_rows, sentence_rows = [], []
        for article, _path, chunks in docs:
            base = _chroma_meta(article)
            for chunk in chunks:
                chunk_rows.append(
                    (
                        chunk.chunk_id,
                        chunk.text,
                        {
                            **base,
                            "chunk_id": chunk.chunk_id,
                            "start": chunk.start,
                            "end": chunk.end,
                        },
                    )
                )
            for span in unique_sentences(chunks):
                sentence_rows.append(
                    (
                        sentence_id(article.doc_id, span),
                        {**base, "start": span.start, "end": span.end},
                    )
                )
        assert len(chunk_rows) == len(chunk_vectors) and len(sentence_rows) == len(sentence_vectors)
        with self._lock:
            for lo in range(0, len(chunk_rows), BATCH):
                part = chunk_rows[lo : lo + BATCH]
                self._call(
                    self.chunks.upsert,
                    ids=[r[0] for r in part],
                    documents=[r[1] for r in part],
                    metadatas=[r[2] for r in part],
                    embeddings=chunk_vectors[lo : lo + BATCH],
                )
            for lo in range(0, len(sentence_rows), BATCH):
                part = sentence_rows[lo : lo + BATCH]
                self._call(
                    self.sentences.upsert,
                    ids=[r[0] for r in part],
                    metadatas=[r[1] for r in part],
                    embeddings=sentence_vectors[lo : lo + BATCH],
                )
            terms = iter(chunk_terms)
            with self._db:
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
                    "INSERT OR REPLACE INTO files VALUES (?,?,?)",
                    [(p, sha, json.dumps(ids)) for p, (sha, ids) in files.items()],
                )
                self._bump()

    def _bump(self) -> None:
        self._set_meta("generation", str(self.generation + 1))

    def reconcile(self) -> int:
        """Delete Chroma entries the catalog does not list (left by an interrupted run)."""
        _, chunks = self.counts()
        if self._call(self.chunks.count) == chunks:
            return 0
        known = {c for (c,) in self._db.execute("SELECT chunk_id FROM chunks")}
        known_docs = {d for (d,) in self._db.execute("SELECT doc_id FROM docs")}
        stray_docs: set[str] = set()
        offset = 0
        while True:
            got = self._call(self.chunks.get, include=["metadatas"], limit=5000, offset=offset)
            if not got["ids"]:
                break
            for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
                if cid not in known:
                    stray_docs.add(str((meta or {}).get("doc_id", "")))
            offset += len(got["ids"])
        stray = [d for d in stray_docs if d not in known_docs]
        for part in _batches(stray, BATCH):
            self._call(self.chunks.delete, where={"doc_id": {"$in": part}})
            self._call(self.sentences.delete, where={"doc_id": {"$in": part}})
        # chunks of a still-listed document that it no longer has
        got = self._call(self.chunks.get, include=[])
        extra = [c for c in got["ids"] if c not in known]
        for part in _batches(extra, BATCH):
            self._call(self.chunks.delete, ids=part)
        return len(stray) + len(extra)

    def clear(self) -> None:
        """Drop everything this index holds (used by ``ingest --rebuild``)."""
        with self._lock:
            for col in (self.chunks, self.sentences):
                self._call(self._client.delete_collection, col.name)
            with self._db:
                for table in ("files", "docs", "chunks"):
                    self._db.execute(f"DELETE FROM {table}")
                # the generation keeps counting, so no saved BM25 index can match by accident
                self._db.execute("DELETE FROM meta WHERE key != 'generation'")
                self._bump()
            self._lexical = None
            self._open_collections()

    # ------------------------------------------------------------------ read path

    def lexical(self) -> LexicalIndex:
        """The BM25 index matching the catalog, rebuilt if it is missing or stale."""
        with self._lock:
            gen = self.generation
            params = (self.settings.bm25_k1, self.settings.bm25_b)
            if self._lexical is not None and self._lexical.generation == gen:
                return self._lexical
            folder = self.folder / "bm25"
            index = LexicalIndex.load(folder)
            if index is None or index.generation != gen or index.params != params:
                index = LexicalIndex.build(self._lexical_rows(), gen, *params)
                index.save(folder)
            self._lexical = index
            return index

    def _lexical_rows(self) -> LexicalRows:
        rows = self._db.execute(
            "SELECT c.chunk_id, c.terms, d.source, d.published FROM chunks c "
            "JOIN docs d ON d.doc_id = c.doc_id ORDER BY c.rowid"
        ).fetchall()
        return LexicalRows(
            chunk_ids=[r[0] for r in rows],
            terms=[r[1].split() for r in rows],
            sources=[r[2] for r in rows],
            days=[day_number(r[3]) for r in rows],
        )

    def dense_search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine similarity)."""
        n = self._call(self.chunks.count)
        if n == 0:
            return []
        res = self._call(
            self.chunks.query,
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where or None,
            include=["distances"],
        )
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        out: dict[str, StoredChunk] = {}
        for part in _batches(chunk_ids, BATCH):
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT c.chunk_id, c.doc_id, c.idx, c.start, c.end, c.sentences, d.title, "
                "d.source, d.url, d.published, d.text FROM chunks c JOIN docs d "
                f"ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})",
                part,
            )
            for r in rows:
                spans = [Span(s, e) for s, e in json.loads(r[5])]
                out[r[0]] = StoredChunk(r[0], r[1], r[2], r[3], r[4], spans, *r[6:])
        return out

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._call(self.sentences.get, ids=ids, include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }

    def documents(self) -> Iterator[tuple[str, str, str]]:
        """(doc_id, title, source) for every indexed document."""
        yield from self._db.execute("SELECT doc_id, title, source FROM docs ORDER BY source")

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConnectionError, OSError) as exc:
            raise StoreUnavailable(_unavailable(self.settings, exc)) from exc
        except Exception as exc:
            if "connect" in str(exc).lower() or type(exc).__name__.startswith(("Connect", "Http")):
                raise StoreUnavailable(_unavailable(self.settings, exc)) from exc
            raise

    def close(self) -> None:
        self._db.close()


def _chroma_meta(article: Article) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": article.doc_id,
        "title": article.title,
        "source": article.source,
        "published_day": day_number(article.published),
    }
    if article.url:
        meta["url"] = article.url
    if article.published:
        meta["published"] = article.published
    return meta


def _connect(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
            return client
        except Exception as exc:
            raise StoreUnavailable(_unavailable(settings, exc)) from exc
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _unavailable(settings: Settings, exc: Exception) -> str:
    if settings.chroma_host:
        where = f"http://{settings.chroma_host}:{settings.chroma_port}"
        return (
            f"Cannot reach the Chroma server at {where} ({type(exc).__name__}: {exc}). "
            f"Start it with `chroma run --path DIR --host {settings.chroma_host} --port "
            f"{settings.chroma_port}`, or unset ASSISTANT_CHROMA_HOST to use the embedded store."
        )
    return f"Cannot open the Chroma store in {settings.data_dir / 'chroma'}: {exc}"


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]
