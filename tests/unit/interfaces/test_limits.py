"""Request limits on a stand-in ASGI app (the real server: integration/test_web_security.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from assistant.interfaces.web.limits import RequestLimits, inside, route_of


def test_routes_and_folders(tmp_path: Path) -> None:
    assert (
        route_of("/gradio_api/upload") == "upload" and route_of("/x/gradio_api/upload/") == "upload"
    )
    assert route_of("/gradio_api/file=/tmp/a.txt") == "file"
    assert route_of("/gradio_api/queue/join") == "other"
    assert inside(str(tmp_path / "a" / ".." / "b.txt"), tmp_path)
    assert not inside(str(tmp_path / ".." / "b.txt"), tmp_path)


def call(app: Any, path: str, chunks: list[bytes], headers: dict[str, str]) -> list[dict]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    incoming = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    incoming.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


async def reader(scope: dict, receive: Any, send: Any) -> None:
    """A stand-in route that reads the whole body, then answers 200."""
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"[]"})


def limits(app: Any, root: Path) -> RequestLimits:
    return RequestLimits(
        app,
        upload_root=root,
        upload_types=(".txt",),
        max_file_bytes=10,
        max_upload_bytes=100,
        message=lambda key, **values: key,
        max_body_bytes=50,
    )


def test_bodies_over_the_limit_get_413_declared_or_not(tmp_path: Path) -> None:
    app = limits(reader, tmp_path)
    declared = call(app, "/gradio_api/queue/join", [b"x" * 51], {"content-length": "51"})
    chunked = call(app, "/gradio_api/queue/join", [b"x" * 30, b"x" * 30], {})
    fine = call(app, "/gradio_api/queue/join", [b"x" * 50], {"content-length": "50"})
    assert declared[0]["status"] == chunked[0]["status"] == 413
    assert json.loads(chunked[1]["body"]) == {"detail": "request_too_large"}
    assert fine[0]["status"] == 200
    upload = call(app, "/gradio_api/upload", [b"x" * 60, b"x" * 30], {})
    assert upload[0]["status"] == 200  # uploads have their own, larger limit


def test_files_of_other_types_are_deleted_after_the_upload(tmp_path: Path) -> None:
    stored = [tmp_path / "h1" / "a.txt", tmp_path / "h2" / "setup.EXE"]

    async def gradio_upload(scope: dict, receive: Any, send: Any) -> None:
        for path in stored:
            path.parent.mkdir()
            path.write_text("x")
        body = json.dumps([str(p) for p in stored]).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    sent = call(limits(gradio_upload, tmp_path), "/gradio_api/upload", [b""], {})
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"detail": "upload_type_refused"}
    assert stored[0].exists() and not stored[1].exists() and not stored[1].parent.exists()
