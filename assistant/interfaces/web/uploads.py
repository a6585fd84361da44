"""Articles uploaded in the browser: kept in DATA_DIR/uploads as their own source, one
file per version, and ingested in a few batches."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.render import md_escape, upload_summary
from assistant.settings import Settings
from assistant.text.messages import Messages

if TYPE_CHECKING:
    from assistant.indexing.ingest import IngestReport

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
UPLOAD_STEPS = 10  # most ingest calls per upload (each rebuilds the BM25 index once)
UPLOAD_SOURCE = "uploads"  # uploads never share ids with the corpus or other folders


@dataclass
class Stored:
    """What ``save_and_ingest`` did: the summed report, warnings, skipped and renamed files."""

    report: IngestReport | None = None
    warnings: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def ingest_uploads(
    engine: Engine, settings: Settings, texts: Messages, files: list[str], progress: gr.Progress
) -> str:
    """Keep uploads in DATA_DIR/uploads and ingest them (``save_and_ingest``), with a bar.

    Returns the summary to show on the page.
    """
    progress(0.0, desc=texts.get("upload_copying"))

    def bar(batches: list[list[Path]], count: int) -> Iterable[list[Path]]:
        desc = texts.get("upload_ingesting", count=count)
        return progress.tqdm(batches, desc=desc, unit="batch")

    done = save_and_ingest(engine, settings, files, bar)
    summary = upload_summary(done.report, done.warnings, done.rejected, texts)
    if done.versions:
        names = ", ".join(done.versions)
        summary += "\n\n" + md_escape(texts.get("upload_versioned", names=names))
    return summary


def save_and_ingest(
    engine: Engine,
    settings: Settings,
    files: Sequence[str | Path],
    each: Callable[[list[list[Path]], int], Iterable[list[Path]]] = lambda b, _: b,
) -> Stored:
    """Copy uploads into DATA_DIR/uploads (so they outlive temp files) and ingest them.

    Uploads are the source ``uploads``: an upload never replaces an article from another
    folder. A file uploaded again under the same name with other bytes is kept as a new
    version beside the earlier one (``name.v2.txt``); with the same bytes it is the same
    file, unchanged. Files go in at most ``UPLOAD_STEPS`` batches so a progress bar moves
    without rebuilding BM25 once per file.

    :param each: wraps the batches (a progress bar); gets them and the file count.
    """
    from assistant.indexing.ingest import IngestReport

    assert engine.qa is not None
    done = Stored()
    accepted = [Path(f) for f in files if Path(f).suffix.lower() in UPLOAD_TYPES]
    done.rejected = [Path(f).name for f in files if Path(f).suffix.lower() not in UPLOAD_TYPES]
    if not accepted:
        return done
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for f in accepted:
        copy, new_version = keep(f, folder)
        copies.append(copy)
        if new_version:
            done.versions.append(f"{f.name} → {copy.name}")
    copies = list(dict.fromkeys(copies))
    done.kept = [c.name for c in copies]
    size = -(-len(copies) // UPLOAD_STEPS)
    batches = [copies[i : i + size] for i in range(0, len(copies), size)]
    done.report = report = IngestReport()
    with engine.ingest_lock:
        for batch in each(batches, len(copies)):
            part = engine.qa.ingest(
                batch, source=UPLOAD_SOURCE, progress=False, warn=done.warnings.append
            )
            for name in ("new", "changed", "unchanged", "deleted", "files", "seconds"):
                setattr(report, name, getattr(report, name) + getattr(part, name))
            report.chunks_embedded += part.chunks_embedded
    return done


def keep(upload: Path, folder: Path) -> tuple[Path, bool]:
    """Where ``upload`` is kept in ``folder``, and whether that is a new version.

    Its own name when free or holding the same bytes; else the first ``name.vN.ext`` that
    is free (a new version) or holds the same bytes (uploaded before). Nothing is
    overwritten, so an earlier upload and its articles stay.
    """
    data = upload.read_bytes()
    n = 1
    while True:
        name = upload.name if n == 1 else f"{upload.stem}.v{n}{upload.suffix}"
        target = folder / name
        if not target.exists():
            shutil.copyfile(upload, target)
            return target, n > 1
        if target.is_file() and target.read_bytes() == data:
            return target, False
        n += 1
