"""What ``ingest --rebuild`` embeds again: every source the index holds, from its folder.

A rebuild empties the whole index (``storage.repair``), so whatever is not ingested again
afterwards is gone. The catalog remembers which folder has which source name, the
browser's uploads included (``DATA_DIR/uploads``, the source ``uploads``); the plan is
read from it before anything is deleted, and every recorded folder is ingested again
under its own name, then the folders given on the command line.

A recorded folder that no longer exists would lose its documents for good (their text is
only in the index now). The rebuild then refuses before deleting anything, naming each
such source and the exact command that rebuilds without it (``--drop NAME``): dropping
documents is a choice only the user can make, and a moved folder is better put back (or
given with ``--source NAME``) than silently forgotten.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import StoreUnavailable
from assistant.indexing.sources import absolute, folder_root
from assistant.settings import Settings
from assistant.storage.catalog import Catalog
from assistant.storage.faults import Faults
from assistant.storage.keys import path_text

UPLOADS = "uploads"  # the browser's source (``interfaces.web.uploads.UPLOAD_SOURCE``)


class RebuildRefused(ValueError):
    """A rebuild would drop sources whose folders are gone; the message says which and
    the command that rebuilds without them."""


@dataclass(frozen=True)
class RebuildPlan:
    """The folders to ingest again after the reset, each with its source name, then the
    ``paths`` given that are not among them; ``notes`` are said to the user (what is
    dropped, what was not known)."""

    folders: list[tuple[str, Path]] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def recorded(settings: Settings) -> tuple[dict[str, list[str]], Counter[str]] | None:
    """name → folders of every recorded source, and documents per source name; None when
    the catalog cannot be read (damaged: the rebuild is what repairs it)."""
    path = Faults.of(settings).catalog
    if not path.exists():
        return {}, Counter()
    try:
        catalog = Catalog(path)
    except StoreUnavailable:
        return None
    try:
        counts = Counter(doc_id.split("/", 1)[0] for doc_id, _, _ in catalog.documents())
        return catalog.sources(), counts
    except Exception:  # a catalog that opens but fails to read is damaged too
        return None
    finally:
        catalog.close()


def plan_rebuild(
    settings: Settings,
    paths: Sequence[Path],
    source: str | None = None,
    drop: Sequence[str] = (),
) -> RebuildPlan:
    """Which recorded folders to ingest again, read before the index is emptied.

    :param paths: the folders and files given on the command line (ingested after).
    :param source: ``--source``: the name ``paths`` go into, which then counts as given.
    :param drop: source names the user chose to rebuild without.
    :raises RebuildRefused: a recorded folder is gone and its source is neither dropped
        nor given; nothing has been deleted.
    """
    given = {path_text(absolute(folder_root(p))) for p in paths}
    uploads = settings.data_dir / UPLOADS
    found = recorded(settings)
    if found is None:
        folders = [(UPLOADS, uploads)] if uploads.is_dir() else []
        note = (
            "the catalog could not be read, so the sources it recorded are unknown: "
            "rebuilt from the paths given" + (f" and {uploads}" if folders else "")
        )
        return RebuildPlan(folders, list(paths), [note])
    sources, counts = found
    plan = RebuildPlan()
    roots = {r for rs in sources.values() for r in rs}
    plan.paths.extend(
        p for p in paths if source is not None or path_text(absolute(folder_root(p))) not in roots
    )
    missing: list[str] = []
    for name, roots in sources.items():
        if name in drop:
            plan.notes.append(f"dropped the source '{name}' ({counts[name]} documents)")
            continue
        for root in roots:
            if root in given and source == name:
                continue  # ingested with the paths given
            if Path(root).is_dir():
                plan.folders.append((name, Path(root)))
            elif name != source:
                missing.append(f"'{name}' ({counts[name]} documents) from {root}")
    if missing:
        raise RebuildRefused(_refusal(missing, sources, paths, source, drop))
    return plan


def _refusal(
    missing: list[str],
    sources: dict[str, list[str]],
    paths: Sequence[Path],
    source: str | None,
    drop: Sequence[str],
) -> str:
    gone = [m.split("'")[1] for m in missing]
    args = ["assistant", "ingest", "--rebuild"]
    for name in [*drop, *dict.fromkeys(gone)]:
        args += ["--drop", name]
    if source is not None:
        args += ["--source", source]
    command = shlex.join(args + [str(p) for p in paths])
    return (
        "Nothing was rebuilt: a rebuild embeds every source again from its folder, and "
        f"the folder of {', '.join(missing)} is gone, so its documents would be lost. "
        "Put the folder back (or give its new place with `--source NAME FOLDER`), or "
        f"rebuild without it: `{command}`"
    )
