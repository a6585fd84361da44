"""``/api/documents``: upload articles (ingested), list them page by page, delete one.

Uploads go the way of the page's (``web.uploads.save_and_ingest``): kept in
DATA_DIR/uploads as the source ``uploads``, a changed file under a used name kept as a
new version. A file name that is no file's name (empty, ``.``, ``..``) is a 400. Files of
other types are skipped and named in ``rejected``; when every file is of another type
nothing is done and the answer is 415 naming them (some accepted: 200, the accepted ones
ingested, so a batch with one stray file still goes in, and the report says what was left
out). Deleting a document drops it from the
index; an uploaded file that held only that document is deleted too. A document of an
ingested folder comes back when that folder is ingested again (delete its file to
remove it for good).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from assistant.interfaces.api.context import Context
from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.api.schemas import Deleted, DocumentOut, DocumentPage, IngestOut
from assistant.interfaces.web.uploads import UPLOAD_TYPES, save_and_ingest

MB = 1024 * 1024
COPY_CHUNK = 1024 * 1024


def router(ctx: Context) -> APIRouter:
    """The document routes over ``ctx``."""
    api = APIRouter(tags=["documents"])

    @api.post("/api/documents", response_model=IngestOut)
    async def upload(
        request: Request, files: Annotated[list[UploadFile], File(description="Articles")]
    ) -> IngestOut:
        """Upload one or more article files (.txt .md .html .json .jsonl) and ingest them."""
        ctx.authorize(request, admin=True)
        ctx.qa()
        if not files:
            raise ApiError(422, ctx.texts.get("no_files"))
        names = [_base_name(f, ctx) for f in files]
        if not any(Path(n).suffix.lower() in UPLOAD_TYPES for n in names):
            types = ", ".join(UPLOAD_TYPES)
            message = ctx.texts.get("upload_type_refused", names=", ".join(names), types=types)
            raise ApiError(415, message, code="unsupported_media_type")
        with tempfile.TemporaryDirectory(prefix="assistant-api-") as tmp:
            paths = [await _save(f, Path(tmp) / str(n), ctx) for n, f in enumerate(files)]
            done = await run_in_threadpool(save_and_ingest, ctx.engine, ctx.settings, paths)
        report = done.report
        counts = {}
        if report is not None:
            names = ("new", "changed", "unchanged", "deleted", "files", "chunks_embedded")
            counts = {n: getattr(report, n) for n in names}
            counts["seconds"] = round(report.seconds, 3)
        return IngestOut(
            **counts,
            stored=done.kept,
            versions=done.versions,
            rejected=done.rejected,
            warnings=done.warnings,
        )

    @api.get("/api/documents", response_model=DocumentPage)
    async def listing(
        request: Request,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> DocumentPage:
        """Indexed documents by id, ``limit`` at a time from ``offset``."""
        ctx.authorize(request)
        store = ctx.qa().store

        def page() -> DocumentPage:
            rows = store.catalog.document_page(offset, limit)
            documents = [DocumentOut(**{k: v for k, v in r.items() if k != "path"}) for r in rows]
            return DocumentPage(
                total=store.counts()[0], offset=offset, limit=limit, documents=documents
            )

        return await run_in_threadpool(page)

    @api.delete("/api/documents/{doc_id:path}", response_model=Deleted)
    async def delete(request: Request, doc_id: str) -> Deleted:
        """Remove one document (and an uploaded file that held only it) from the index."""
        ctx.authorize(request, admin=True)
        qa = ctx.qa()

        def remove() -> Deleted:
            with ctx.engine.ingest_lock, qa.store.writing():
                found = qa.store.doc_hashes([doc_id])
                if doc_id not in found:
                    raise ApiError(404, ctx.texts.get("unknown_document", doc_id=doc_id))
                path = found[doc_id][1]  # the file key: "source:/absolute/path"
                uploads = (ctx.settings.data_dir / "uploads").resolve()
                upload = Path(path.partition(":")[2])
                alone = qa.store.file_doc_ids(path) in ([], [doc_id])
                removed = alone and upload.parent == uploads and upload.is_file()
                qa.store.forget([doc_id], [path])
                if removed:
                    upload.unlink()
                return Deleted(doc_id=doc_id, file_removed=removed)

        return await run_in_threadpool(remove)

    return api


def _base_name(upload: UploadFile, ctx: Context) -> str:
    """The upload's own base name (no folders); 400 for one that names no file."""
    given = upload.filename or "upload.txt"
    name = Path(given.replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name:
        raise ApiError(400, ctx.texts.get("bad_file_name", name=given), code="bad_file_name")
    return name


async def _save(upload: UploadFile, folder: Path, ctx: Context) -> Path:
    """Write one uploaded file into ``folder`` under its own base name (413 if too big)."""
    name = _base_name(upload, ctx)
    folder.mkdir()
    target = folder / name
    limit = ctx.settings.ui_max_upload_mb * MB
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                mb = ctx.settings.ui_max_upload_mb
                raise ApiError(413, ctx.texts.get("upload_too_large", name=name, mb=mb))
            out.write(chunk)
    return target
