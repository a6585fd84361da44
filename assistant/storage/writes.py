"""Where the store's catalog writes go: the local catalog, or the Chroma server's.

Embedded, the local SQLite catalog is the record and writes go straight to it (``Catalog``
itself is a ``Writes``). With a Chroma server the server is the record
(``server_catalog``): each write becomes one logged change there, and the local catalog
then catches up through the same ``sync`` every replica uses, so the writer's cache and the
others' cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from assistant.storage import mirror
from assistant.storage.catalog import Catalog
from assistant.storage.server_catalog import ServerCatalog, Write
from assistant.storage.server_records import records
from assistant.types import Article, Chunk


class Writes(Protocol):
    """The catalog writes of the store front (``Store``), each one transaction or change."""

    def set_meta(self, values: dict[str, str]) -> None:
        """Store meta values (embedding model, id scheme)."""
        ...

    def bind_source(self, name: str, root: str) -> None:
        """Record that folder ``root`` is ingested under ``name`` (kept if recorded)."""
        ...

    def delete(self, doc_ids: Sequence[str], paths: Sequence[str]) -> None:
        """Unlist documents and files."""
        ...

    def insert(
        self,
        docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
        chunk_terms: Sequence[Sequence[str]],
        files: dict[str, tuple[str, list[str]]],
        sentence_vectors: np.ndarray,
    ) -> None:
        """List documents with their chunks, terms, sentence vectors, and files."""
        ...

    def clear(self) -> None:
        """Unlist everything."""
        ...


class ServerWrites:
    """Writes to the Chroma server's catalog, then syncs the local cache from it.

    :param server: the server's catalog collections.
    :param catalog: this process's local cache (synced after every write).
    """

    def __init__(self, server: ServerCatalog, catalog: Catalog) -> None:
        self.server = server
        self.catalog = catalog

    def _write(self, change: Write) -> None:
        self.server.write(change)
        mirror.sync(self.catalog, self.server)

    def set_meta(self, values: dict[str, str]) -> None:
        """See ``Writes``."""
        self._write(Write(meta=dict(values)))

    def bind_source(self, name: str, root: str) -> None:
        """See ``Writes``."""
        if root not in self.catalog.sources().get(name, []):
            self._write(Write(sources=[(name, root)]))

    def delete(self, doc_ids: Sequence[str], paths: Sequence[str]) -> None:
        """See ``Writes``."""
        self._write(Write(drop_docs=list(doc_ids), drop_files=list(paths)))

    def insert(
        self,
        docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
        chunk_terms: Sequence[Sequence[str]],
        files: dict[str, tuple[str, list[str]]],
        sentence_vectors: np.ndarray,
    ) -> None:
        """See ``Writes``."""
        self._write(Write(put_docs=records(docs, chunk_terms, sentence_vectors), put_files=files))

    def clear(self) -> None:
        """See ``Writes``."""
        self._write(Write(clear=True))
