"""Articles uploaded in the browser: copied into the data dir and ingested in a few batches."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.render import upload_summary
from assistant.settings import Settings
from assistant.text.messages import Messages

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
UPLOAD_STEPS = 10  # most ingest calls per upload (each rebuilds the BM25 index once)


def ingest_uploads(
    engine: Engine, settings: Settings, texts: Messages, files: list[str], progress: gr.Progress
) -> str:
    """Copy uploads into DATA_DIR/uploads (so they outlive Gradio's temp files) and ingest.

    Files go in at most ``UPLOAD_STEPS`` batches so the bar moves without rebuilding BM25
    once per file. A file uploaded again under the same name replaces the earlier one,
    which the ingest then treats as a changed article. Returns the summary to show.
    """
    from assistant.indexing.ingest import IngestReport

    assert engine.qa is not None
    accepted = [Path(f) for f in files if Path(f).suffix.lower() in UPLOAD_TYPES]
    rejected = [Path(f).name for f in files if Path(f).suffix.lower() not in UPLOAD_TYPES]
    report, warnings = None, []
    if accepted:
        progress(0.0, desc=texts.get("upload_copying"))
        folder = settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        copies = [Path(shutil.copyfile(f, folder / f.name)) for f in accepted]
        size = -(-len(copies) // UPLOAD_STEPS)
        batches = [copies[i : i + size] for i in range(0, len(copies), size)]
        report = IngestReport()
        desc = texts.get("upload_ingesting", count=len(copies))
        with engine.ingest_lock:
            for batch in progress.tqdm(batches, desc=desc, unit="batch"):
                part = engine.qa.ingest(batch, progress=False, warn=warnings.append)
                for name in ("new", "changed", "unchanged", "deleted", "seconds"):
                    setattr(report, name, getattr(report, name) + getattr(part, name))
    return upload_summary(report, warnings, rejected, texts)
