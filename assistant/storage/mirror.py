"""A replica's local catalog as a cache of the server's, kept at the server's generation.

The local catalog (SQLite, in this replica's data dir) is what reads use: chunk lookups,
sentence vectors, the morphemes the local BM25 index is built from. With a Chroma server
it is only a cache: ``sync`` compares the generation it was filled at (meta
``server_generation``, with the server index's id in ``server_index``) with the server's
head, and applies the logged changes in between — re-reading the touched documents and
files, in one local transaction together with the new generation — or, when the log
cannot tell (another server index, a cleared one, a replica far behind), reads everything
again. A sync that stops midway leaves the old generation, so the next one redoes it.
"""

from __future__ import annotations

import logging

import numpy as np

from assistant.storage.catalog import Catalog
from assistant.storage.keys import unique_sentences
from assistant.storage.server_catalog import PAGE, Changes, ServerCatalog, Write
from assistant.storage.server_records import DocRecord, records

log = logging.getLogger(__name__)
INDEX_KEY, GEN_KEY = "server_index", "server_generation"
META = ("embedding_model", "embedding_dim", "doc_ids")  # meta a server index keeps


def synced_at(catalog: Catalog) -> tuple[str | None, int]:
    """(server index id, generation) the local catalog was last filled at."""
    return catalog.meta(INDEX_KEY), int(catalog.meta(GEN_KEY) or -1)


def sync(catalog: Catalog, server: ServerCatalog) -> bool:
    """Bring ``catalog`` to the server's head; returns whether anything changed.

    Call with the local write lock held (two processes sharing a data dir must not sync
    the same file at once).
    """
    head = server.head()
    index, have = synced_at(catalog)
    if head is None:  # nothing written on the server yet (or it was wiped)
        if index is None and catalog.counts()[0]:
            adopt(catalog, server)  # a catalog written before the server was the record
            return True
        if index in (None, "") and not catalog.counts()[0]:
            return False
        _full(catalog, server, ("", 0))
        return True
    if head[0] != index:
        _full(catalog, server, head)
        return True
    if head[1] == have:
        return False
    changes = server.changes(have, head[1])
    if changes.full:
        _full(catalog, server, head)
    else:
        _apply(catalog, server, changes, head)
    return True


def adopt(catalog: Catalog, server: ServerCatalog) -> None:
    """Copy a local catalog written before the server was the record (its chunk vectors
    are on the server already) to the server, as one logged change per page, then mark
    the catalog as synced; nothing is embedded again. Safe to stop: records are upserts,
    and an unmarked catalog is adopted again at the next open."""
    log.warning("copying the local catalog to the Chroma server, which now keeps it")
    after, total = "", 0
    while page := catalog.export(after, PAGE):
        keys = [(a.doc_id, s.start) for a, _, chunks, _ in page for s in unique_sentences(chunks)]
        found = catalog.sentence_vectors(keys)
        vectors = np.array([found[k] for k in keys], dtype=np.float32).reshape(len(keys), -1)
        docs = [(a, path, chunks) for a, path, chunks, _ in page]
        terms = [t.split() for *_, chunk_terms in page for t in chunk_terms]
        server.write(Write(put_docs=records(docs, terms, vectors)))
        after, total = page[-1][0].doc_id, total + len(page)
    server.write(
        Write(
            put_files=catalog.files(),
            meta={k: v for k in META if (v := catalog.meta(k)) is not None},
            sources=[(n, r) for n, roots in catalog.sources().items() for r in roots],
        )
    )
    catalog.clear()
    sync(catalog, server)
    log.warning("copied %d documents to the Chroma server", total)


def _apply(
    catalog: Catalog, server: ServerCatalog, changes: Changes, head: tuple[str, int]
) -> None:
    """Re-read what ``changes`` names and replace it locally, in one transaction."""
    records = server.documents(list(changes.doc_ids))
    files = server.files(list(changes.paths))
    meta = {GEN_KEY: str(head[1])}
    if changes.meta:
        meta.update(server.meta())
        catalog.set_sources(server.sources())
    _insert(catalog, records, files, meta, unlist=(changes.doc_ids, changes.paths))
    log.info(
        "synced %d documents and %d files from the Chroma server (generation %d)",
        len(changes.doc_ids),
        len(changes.paths),
        head[1],
    )


def _full(catalog: Catalog, server: ServerCatalog, head: tuple[str, int]) -> None:
    """Empty the local catalog and read everything the server holds."""
    log.info("reading the whole catalog from the Chroma server")
    catalog.clear()  # also drops the marks, so a stop midway reads everything again
    total = 0
    for page in server.all_documents():
        _insert(catalog, page, {}, {})
        total += len(page)
    catalog.set_sources(server.sources())
    _insert(
        catalog,
        [],
        server.files(None),
        {**server.meta(), INDEX_KEY: head[0], GEN_KEY: str(head[1])},
    )
    log.info("read %d documents from the Chroma server (generation %d)", total, head[1])


def _insert(
    catalog: Catalog,
    records: list[DocRecord],
    files: dict[str, tuple[str, list[str]]],
    meta: dict[str, str],
    *,
    unlist: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
) -> None:
    docs = [(r.article, r.path, r.chunks) for r in records]
    terms = [t for r in records for t in r.terms]
    vectors = [r.sentence_vectors for r in records if len(r.sentence_vectors)]
    stacked = np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float16)
    catalog.insert(docs, terms, files, stacked, unlist=unlist, meta=meta)
