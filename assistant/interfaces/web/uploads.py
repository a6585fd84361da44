"""Articles uploaded in the browser: kept in DATA_DIR/uploads as their own source, one
file per version, and ingested in a few batches."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.render import md_escape, upload_summary
from assistant.settings import Settings
from assistant.text.messages import Messages

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
UPLOAD_STEPS = 10  # most ingest calls per upload (each rebuilds the BM25 index once)
UPLOAD_SOURCE = "uploads"  # uploads never share ids with the corpus or other folders


def ingest_uploads(
    engine: Engine, settings: Settings, texts: Messages, files: list[str], progress: gr.Progress
) -> str:
    """Copy uploads into DATA_DIR/uploads (so they outlive Gradio's temp files) and ingest.

    Uploads are the source ``uploads``: an upload never replaces an article from another
    folder. A file uploaded again under the same name with other bytes is kept as a new
    version beside the earlier one (``name.v2.txt``), and the summary says so; with the
    same bytes it is the same file, unchanged. Files go in at most ``UPLOAD_STEPS`` batches
    so the bar moves without rebuilding BM25 once per file. Returns the summary to show.
    """
    from assistant.indexing.ingest import IngestReport

    assert engine.qa is not None
    accepted = [Path(f) for f in files if Path(f).suffix.lower() in UPLOAD_TYPES]
    rejected = [Path(f).name for f in files if Path(f).suffix.lower() not in UPLOAD_TYPES]
    report, warnings, versions = None, [], []
    if accepted:
        progress(0.0, desc=texts.get("upload_copying"))
        folder = settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        copies = []
        for f in accepted:
            copy, new_version = keep(f, folder)
            copies.append(copy)
            if new_version:
                versions.append(f"{f.name} → {copy.name}")
        copies = list(dict.fromkeys(copies))
        size = -(-len(copies) // UPLOAD_STEPS)
        batches = [copies[i : i + size] for i in range(0, len(copies), size)]
        report = IngestReport()
        desc = texts.get("upload_ingesting", count=len(copies))
        with engine.ingest_lock:
            for batch in progress.tqdm(batches, desc=desc, unit="batch"):
                part = engine.qa.ingest(
                    batch, source=UPLOAD_SOURCE, progress=False, warn=warnings.append
                )
                for name in ("new", "changed", "unchanged", "deleted", "seconds"):
                    setattr(report, name, getattr(report, name) + getattr(part, name))
    summary = upload_summary(report, warnings, rejected, texts)
    if versions:
        summary += "\n\n" + md_escape(texts.get("upload_versioned", names=", ".join(versions)))
    return summary


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
