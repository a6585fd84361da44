"""Source files by their scoped names, as citations show them and filters take them.

A file is shown as ``<source>/<path in its folder>`` (``corpus/000_e3f8f1e00a5f7b14.txt``,
``uploads/000_e3f8f1e00a5f7b14.txt``), so an upload named like a corpus file is told
apart from it. A filter may name a file by that name or by its bare path when only one
source holds it; a bare path that two sources hold is refused (``AmbiguousSource``,
listing the scoped names) rather than one picked. An index ingested before names were
scoped stores bare paths: they are shown scoped all the same, and filter by the path
until the next ``ingest --rebuild``.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.retrieval.filters import Filters
from assistant.storage.store import Store


class AmbiguousSource(ValueError):
    """A filter's bare file name is held by more than one source."""

    def __init__(self, name: str, choices: list[str]) -> None:
        super().__init__(f"the source '{name}' names more than one file: {', '.join(choices)}")
        self.name = name
        self.choices = choices


def scoped_name(doc_id: str, source: str) -> str:
    """The shown name of a document's file: ``source`` (its path, as stored) with the
    source name its id starts with in front, unless it has it already."""
    name, sep, _ = doc_id.partition("/")
    if not sep or source.startswith(name + "/"):
        return source  # stored scoped, or an id from before ids were scoped
    return f"{name}/{source}"


class SourceNames:
    """The index's files by scoped name (read once per catalog generation).

    :param store: the index whose catalog lists the files.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._held: tuple[int, dict[str, str]] | None = None

    def names(self) -> dict[str, str]:
        """scoped name → the source value stored with its chunks."""
        generation = self.store.generation
        if self._held is None or self._held[0] != generation:
            pairs = self.store.catalog.document_paths()  # (file key "name:/path", source)
            names = {_label(key, stored): stored for key, stored in pairs}
            self._held = (generation, names)
        return self._held[1]

    def resolve(self, filters: Filters) -> Filters:
        """``filters`` with each source as the index stores it; a name that matches no
        file is kept (it then matches nothing).

        :raises AmbiguousSource: a bare file name that two sources hold.
        """
        if not filters.sources:
            return filters
        names = self.names()
        out: list[str] = []
        for wanted in filters.sources:
            if wanted in names:
                out.append(names[wanted])
                continue
            matches = sorted(n for n in names if n.split("/", 1)[-1] == wanted)
            if len(matches) > 1:
                raise AmbiguousSource(wanted, matches)
            out.append(names[matches[0]] if matches else wanted)
        return replace(filters, sources=tuple(dict.fromkeys(out)))


def _label(file_key: str, stored: str) -> str:
    name = file_key.split(":", 1)[0]
    return stored if stored.startswith(name + "/") else f"{name}/{stored}"
