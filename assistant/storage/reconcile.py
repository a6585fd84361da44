"""Bringing the vector index back in line with the catalog after an interrupted run.

Writes put vectors in before the catalog lists them, so a run stopped midway leaves
vectors nobody lists; and a Chroma folder set aside leaves listed documents without
vectors. Both are found by comparing the two sets of chunk ids (which pages through all
of Chroma: fast when the counts agree, as they do after every complete run).
"""

from __future__ import annotations

import logging

from assistant.storage.catalog import Catalog
from assistant.storage.vectors import VectorIndex
from assistant.storage.writes import Writes

log = logging.getLogger(__name__)


def reconcile(catalog: Catalog, vectors: VectorIndex, writes: Writes) -> int:
    """Delete vectors the catalog does not list, and unlist (through ``writes``) documents
    whose vectors are gone, with their files, so the next ingest embeds them again.
    Returns how many documents and chunks were deleted. Call under the write lock.
    """
    if vectors.chunk_count() == catalog.counts()[1]:
        return 0
    known = catalog.chunk_ids()
    found = vectors.chunk_documents()
    missing = catalog.get_chunks(sorted(known - set(found)))
    lost = sorted({c.doc_id for c in missing.values()})
    if lost:
        paths = sorted({path for _, path in catalog.doc_hashes(lost).values()})
        log.warning("%d documents lost their vectors; unlisted to embed again", len(lost))
        writes.delete(lost, paths)
        known = catalog.chunk_ids()
    known_docs = catalog.doc_ids()
    stray = sorted({d for c, d in found.items() if c not in known} - known_docs)
    vectors.delete_documents(stray)
    extra = [c for c in vectors.chunk_documents() if c not in known]
    vectors.delete_chunks(extra)
    return len(stray) + len(extra)
