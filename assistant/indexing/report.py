"""``IngestReport``: what one ingest run did, for the CLI, the web app and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class IngestReport:
    """What one ingest run did, counted in articles (and chunks/sentences embedded).

    Mutable on purpose: the run adds to it as it goes, and callers that ingest in
    batches (the web upload) sum several into one.
    """

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    files: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # name → folder, as ingested

    def add(self, other: IngestReport) -> None:
        """Count ``other`` (another run of the same command) into this report."""
        for name in ("new", "changed", "unchanged", "deleted", "files", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.chunks_embedded += other.chunks_embedded
        self.sentences_embedded += other.sentences_embedded
        self.warnings += other.warnings
        self.sources.update(other.sources)

    def summary(self) -> str:
        """One line for a terminal or a status bar; a source whose name is not its
        folder's (``news-2``, or one given by name) is said, since its ids start with it."""
        named = [f"; source '{n}' is {f}" for n, f in self.sources.items() if n != Path(f).name]
        return (
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.deleted} deleted ({self.files} files, {self.chunks_embedded} chunks "
            f"embedded, {self.seconds:.1f} s)" + "".join(named)
        )
