"""Sources: the named collections that documents are ingested into, and ids scoped by them.

A document's id is ``<source>/<id within its file>`` (``corpus/000_e3f8f1e00a5f7b14-r1``),
so ``001.txt`` in two folders is two documents. A folder's source is the name given to
the ingest, or else the folder's own name; a name already bound to another folder gets a
number (``news-2``). Bindings are kept in the catalog, so the same folder always maps to
the same name, and its files are found again, updated and deleted only within it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

from assistant.storage.keys import path_text, scoped_id
from assistant.storage.store import Store
from assistant.types import Article

FALLBACK_NAME = "files"  # for a folder with no usable name (the file system root)


def check_name(name: str) -> str:
    """``name`` as a source name: stripped and NFC; ids are ``<name>/<id>``.

    :raises ValueError: an empty name, or one with ``/`` or a control character.
    """
    clean = unicodedata.normalize("NFC", name.strip())
    if not clean or "/" in clean or not clean.isprintable():
        raise ValueError(f"not a source name: {name!r} (use a short name without '/', e.g. 'news')")
    return clean


def folder_root(path: Path) -> Path:
    """The folder a given path is ingested from: itself for a folder, else its parent."""
    return path if path.is_dir() else path.parent


def absolute(path: Path) -> Path:
    """``path`` made absolute with its folders' links resolved but not a linked file's own,
    so a link inside a folder keeps its place there."""
    return path.resolve() if path.is_dir() else path.parent.resolve() / path.name


def source_for(store: Store, root: Path, explicit: str | None = None) -> str:
    """The source name for folder ``root``, recorded in the store.

    :param explicit: the name asked for (``ingest --source``); it is used as given, even if
        other folders already went into it.
    """
    key = path_text(absolute(root))
    if explicit is not None:
        name = check_name(explicit)
    elif known := store.source_names(key):
        return known[0]
    else:
        name = _free_name(_default_name(root), set(store.sources()))
    store.bind_source(name, key)
    return name


def _default_name(root: Path) -> str:
    try:
        return check_name(path_text(absolute(root).name))
    except ValueError:
        return FALLBACK_NAME


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def scope(article: Article, source: str) -> Article:
    """``article`` with its id (and its main article's, for a related one) and its file's
    name (``source/path``, as citations show and filters take it) in ``source``."""
    metadata = article.metadata
    if "parent" in metadata:
        metadata = {**metadata, "parent": scoped_id(source, str(metadata["parent"]))}
    return dataclasses.replace(
        article,
        doc_id=scoped_id(source, article.doc_id),
        source=scoped_id(source, article.source),
        metadata=metadata,
    )
