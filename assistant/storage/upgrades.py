"""Indexes written by earlier versions: brought up to the current layout, or refused.

Document ids used to leave out their source, so two folders' files could replace each
other; such an index is refused for writes with the exact ``--rebuild`` line to run
(its ids cannot be rewritten in place in Chroma).

Sentence vectors used to be a Chroma collection of their own (``NAME-sentences``), with
an HNSW graph nobody searched: at a million chunks it alone would need more memory than
the whole serving process may take. They now live in the catalog; an older index has
them moved there once, at its next ingest, so nothing has to be embedded again.
"""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

from assistant.errors import IndexOutdated
from assistant.storage.catalog import (
    ID_SCHEME,
    ID_SCHEME_KEY,
    SENTENCES_HERE,
    SENTENCES_KEY,
    Catalog,
)
from assistant.storage.keys import sentence_key
from assistant.storage.vectors import VectorIndex

log = logging.getLogger(__name__)


def move_sentence_vectors(catalog: Catalog, vectors: VectorIndex) -> int:
    """Copy the old collection's vectors of listed documents into the catalog, mark the
    catalog, then drop the collection; returns how many moved (0 when already done).

    Safe to interrupt: the collection is dropped only after the copy, and the mark is
    written last, so the next call copies again (rows are replaced, not duplicated) or,
    with the collection gone, only marks. Call with the index's write lock held.
    """
    if catalog.meta(SENTENCES_KEY) == SENTENCES_HERE:
        return 0
    listed = catalog.doc_ids()
    moved = 0
    for page in vectors.legacy_sentences():
        rows = [(*sentence_key(i), v) for i, v in page]
        rows = [r for r in rows if r[0] in listed]
        catalog.add_sentence_vectors(rows)
        moved += len(rows)
    vectors.drop_legacy_sentences()
    catalog.set_meta({SENTENCES_KEY: SENTENCES_HERE})
    if moved:
        log.info("moved %d sentence vectors from Chroma into the catalog", moved)
    return moved


def check_id_scheme(catalog: Catalog, folder: Path) -> dict[str, str]:
    """The mark to store on a new or emptied catalog (source-scoped ids; {} when it has
    it already); refuse an older one.

    :param folder: the index folder, named in the message.
    :raises IndexOutdated: the catalog has documents but no mark; the message names the
        folders to rebuild it from.
    """
    if catalog.meta(ID_SCHEME_KEY) == ID_SCHEME:
        return {}
    listed = catalog.document_paths()
    if not listed:  # nothing that could collide
        return {ID_SCHEME_KEY: ID_SCHEME}
    roots = sorted({_root(path, source) for path, source in listed})
    raise IndexOutdated(
        f"The index in {folder} was built by an earlier version, whose document "
        "ids did not name their folder (files of the same name in two folders replaced "
        "each other). Rebuild it once before ingesting more: `assistant ingest --rebuild "
        + " ".join(shlex.quote(r) for r in roots)
        + "` (the folders it holds). Asking questions works meanwhile."
    )


def _root(path: str, source: str) -> str:
    """The folder a file was ingested from, by its absolute path and its relative name."""
    return path[: -len(source) - 1] if path.endswith("/" + source) else str(Path(path).parent)
