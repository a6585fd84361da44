"""The catalog of record on a Chroma server, and its change log.

With ``chroma_host`` set, the server holds everything answers depend on, so replicas
with different data dirs serve the same index: the chunk vectors (``vectors``), one
record per document (``server_records``: text, chunks, morphemes, sentence vectors) in
``NAME-docs``, and in ``NAME-state`` the file records (sha and document ids, what
incremental ingest compares), the meta values, the source names, a change log and the
``head`` (the server index's identity and its generation).

Every write is one logged change, in this order: the log entry for generation g+1 (which
documents and files it touches), then the records, then the head moves to g+1. A reader
trusts only entries up to the head, and treats an entry as "these ids changed, read their
current records", so a write that is half done, or one that runs while a replica syncs,
is seen whole at the latter's next sync. A writer that finds entries past the head (a
run that stopped between its entry and the head) folds them into its own, so nothing a
crashed run touched is left unseen. One writer at a time per server (the ingest of one
place); replicas only read.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.storage.server_lease import ServerLease
from assistant.storage.server_records import DocRecord, decode, encode

PAGE = 1000  # records per get() when reading a whole collection
LOG_KEEP = 20_000  # log entries kept; a replica further behind reads everything again
PLAIN = {"hnsw": {"space": "l2"}}  # records are never searched: a 1-d placeholder vector
HEAD = "head"


@dataclass(frozen=True, slots=True)
class Changes:
    """What the log says changed after a generation: re-read these ids; ``full`` when the
    log cannot tell (cleared, or entries pruned), so everything must be read again."""

    doc_ids: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    meta: bool = False
    full: bool = False


@dataclass
class Write:
    """One logged change to the server catalog (see ``ServerCatalog.write``)."""

    put_docs: list[DocRecord] = field(default_factory=list)
    drop_docs: list[str] = field(default_factory=list)
    put_files: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    drop_files: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    sources: list[tuple[str, str]] = field(default_factory=list)
    clear: bool = False


class ServerCatalog:
    """The catalog collections of one server; every request goes through ``call``.

    :param client: a Chroma ``HttpClient`` (any client works; tests may pass an
        ephemeral one).
    :param name: the chunk collection's name; the others are named after it.
    :param call: runs one request and maps its failure to the assistant's errors
        (``ChromaVectors._call``).
    """

    def __init__(self, client: Any, name: str, call: Callable[..., Any]) -> None:
        self._call = call
        self._client = client
        self._name = name
        self._open()

    def _open(self) -> None:
        make = self._client.get_or_create_collection
        self.docs = self._call(
            make, f"{self._name}-docs", embedding_function=None, configuration=PLAIN
        )
        self.state = self._call(
            make, f"{self._name}-state", embedding_function=None, configuration=PLAIN
        )

    def lease(self, timeout: float, where: str) -> ServerLease:
        """The write lease of this server index (one writer at a time, any machine)."""
        return ServerLease(self.state, self._call, timeout, where)

    # ------------------------------------------------------------------ reads

    def head(self) -> tuple[str, int] | None:
        """(the server index's id, its generation), or None before its first write."""
        got = self._call(self.state.get, ids=[HEAD], include=["metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return str(meta["index"]), int(meta["gen"])

    def changes(self, after: int, upto: int) -> Changes:
        """Everything logged in generations ``after``+1 … ``upto``."""
        got = self._call(
            self.state.get,
            where={"$and": [{"kind": "log"}, {"gen": {"$gt": after}}, {"gen": {"$lte": upto}}]},
            include=["metadatas"],
        )
        entries = sorted(got["metadatas"], key=lambda m: int(m["gen"]))
        if [int(m["gen"]) for m in entries] != list(range(after + 1, upto + 1)):
            return Changes(full=True)  # pruned, or never written: the log cannot tell
        docs: dict[str, None] = {}
        paths: dict[str, None] = {}
        for m in entries:
            if m.get("clear"):
                return Changes(full=True)
            docs.update(dict.fromkeys(json.loads(m["docs"])))
            paths.update(dict.fromkeys(json.loads(m["paths"])))
        return Changes(tuple(docs), tuple(paths), any(m.get("meta") for m in entries))

    def documents(self, doc_ids: Sequence[str]) -> list[DocRecord]:
        """The records of those ids that exist now."""
        out: list[DocRecord] = []
        for lo in range(0, len(doc_ids), PAGE):
            got = self._call(
                self.docs.get, ids=list(doc_ids[lo : lo + PAGE]), include=["metadatas"]
            )
            out += [decode(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        return out

    def all_documents(self) -> Iterator[list[DocRecord]]:
        """Every document record, a page at a time."""
        for ids, metas in self._pages(self.docs, None):
            yield [decode(i, m) for i, m in zip(ids, metas, strict=True)]

    def files(self, paths: Sequence[str] | None) -> dict[str, tuple[str, list[str]]]:
        """path → (sha256, doc ids) for those of ``paths`` recorded (None: all)."""
        out: dict[str, tuple[str, list[str]]] = {}
        if paths is None:
            pages = self._pages(self.state, {"kind": "file"})
        else:
            ids = [_file_id(p) for p in paths]
            pages = (
                self._got(self.state.get, ids=ids[lo : lo + PAGE])
                for lo in range(0, len(ids), PAGE)
            )
        for _, metas in pages:
            for m in metas:
                out[str(m["path"])] = (str(m["sha"]), json.loads(m["doc_ids"]))
        return out

    def meta(self) -> dict[str, str]:
        """The meta values (embedding model, id scheme, …)."""
        got = self._got(self.state.get, where={"kind": "meta"})
        return {str(m["key"]): str(m["value"]) for m in got[1]}

    def sources(self) -> list[tuple[str, str]]:
        """(name, folder) of every source, in the order they were first recorded."""
        got = self._got(self.state.get, where={"kind": "source"})
        rows = sorted(got[1], key=lambda m: (int(m["gen"]), str(m["name"]), str(m["root"])))
        return [(str(m["name"]), str(m["root"])) for m in rows]

    def _got(self, fn: Callable[..., Any], **kwargs: Any) -> tuple[list[str], list[Any]]:
        got = self._call(fn, include=["metadatas"], **kwargs)
        return got["ids"], got["metadatas"]

    def _pages(
        self, col: Any, where: dict[str, Any] | None
    ) -> Iterator[tuple[list[str], list[Any]]]:
        offset = 0
        while True:
            ids, metas = self._got(col.get, where=where, limit=PAGE, offset=offset)
            if not ids:
                return
            yield ids, metas
            offset += len(ids)

    # ------------------------------------------------------------------ writes

    def write(self, change: Write) -> int:
        """Apply one change as a logged generation (entry, records, head); returns it."""
        head = self.head()
        index, gen = head if head is not None else (uuid.uuid4().hex, 0)
        new = gen + 1
        docs = [r.article.doc_id for r in change.put_docs] + list(change.drop_docs)
        paths = list(change.put_files) + list(change.drop_files)
        pending = self._got(  # entries a stopped writer logged past the head
            self.state.get, where={"$and": [{"kind": "log"}, {"gen": {"$gt": gen}}]}
        )[1]
        for m in pending:
            docs += json.loads(m["docs"])
            paths += json.loads(m["paths"])
        entry = {
            "kind": "log",
            "gen": new,
            "docs": json.dumps(list(dict.fromkeys(docs)), ensure_ascii=False),
            "paths": json.dumps(list(dict.fromkeys(paths)), ensure_ascii=False),
            "meta": bool(change.meta or change.sources or any(m.get("meta") for m in pending)),
            "clear": bool(change.clear or any(m.get("clear") for m in pending)),
        }
        self._put(self.state, [(_log_id(new), entry)])
        stale = [_log_id(int(m["gen"])) for m in pending if int(m["gen"]) != new]
        if stale:  # folded into this entry, written first
            self._call(self.state.delete, ids=stale)
        if change.clear:
            self._clear()
        if change.drop_docs:
            for lo in range(0, len(change.drop_docs), PAGE):
                self._call(self.docs.delete, ids=list(change.drop_docs[lo : lo + PAGE]))
        if change.drop_files:
            self._call(self.state.delete, ids=[_file_id(p) for p in change.drop_files])
        self._put(self.docs, [(r.article.doc_id, encode(r)) for r in change.put_docs])
        files = [
            (_file_id(p), {"kind": "file", "path": p, "sha": sha, "doc_ids": json.dumps(ids)})
            for p, (sha, ids) in change.put_files.items()
        ]
        meta = [
            (f"meta:{k}", {"kind": "meta", "key": k, "value": v}) for k, v in change.meta.items()
        ]
        sources = [
            (_source_id(n, r), {"kind": "source", "name": n, "root": r, "gen": new})
            for n, r in change.sources
        ]
        self._put(self.state, files + meta + sources)
        self._put(self.state, [(HEAD, {"kind": "head", "index": index, "gen": new})])
        if new > LOG_KEEP and new % 100 == 0:
            self._call(
                self.state.delete,
                where={"$and": [{"kind": "log"}, {"gen": {"$lte": new - LOG_KEEP}}]},
            )
        return new

    def _clear(self) -> None:
        """Drop every document, file, meta and source record (the log and head stay)."""
        self._call(self._client.delete_collection, f"{self._name}-docs")
        self._call(self.state.delete, where={"kind": {"$in": ["file", "meta", "source"]}})
        self._open()

    def _put(self, col: Any, rows: list[tuple[str, dict[str, Any]]]) -> None:
        step = 100 if col is self.docs else PAGE  # document records are large
        for lo in range(0, len(rows), step):
            part = rows[lo : lo + step]
            self._call(
                col.upsert,
                ids=[r[0] for r in part],
                metadatas=[r[1] for r in part],
                embeddings=[[1.0]] * len(part),
            )


def _log_id(gen: int) -> str:
    return f"log:{gen:012d}"


def _file_id(path: str) -> str:
    return "file:" + hashlib.sha256(path.encode()).hexdigest()


def _source_id(name: str, root: str) -> str:
    return "source:" + hashlib.sha256(f"{name}\0{root}".encode()).hexdigest()
