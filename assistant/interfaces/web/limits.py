"""Request limits, checked by the server whatever the page's file picker allows.

``RequestLimits`` is an ASGI middleware in front of Gradio's routes:

* a request body is at most ``MAX_BODY_BYTES`` (events: a question, the chat, a rating),
  or ``max_upload_bytes`` on the upload route; longer ones get 413 before or while
  they are read;
* the upload route keeps only files with an accepted extension: any other file it
  stored is deleted again and the request answered with 400 and a message naming it;
  Gradio's own per-file limit (``max_file_size``) answers 413, reworded here;
* nothing under Gradio's upload folder is served back (``/file=…``): uploads are read by
  the server only, so knowing a file's hash path fetches nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse

MAX_BODY_BYTES = 2 * 1024 * 1024
BODY_METHODS = ("POST", "PUT", "PATCH")


class BodyTooLarge(Exception):
    """The request body went over its limit while it was read."""


def route_of(path: str) -> str:
    """``upload``, ``file`` or ``other`` for a request path (any mount prefix)."""
    if "/file=" in path:
        return "file"
    if path.rstrip("/").endswith("/upload"):
        return "upload"
    return "other"


def inside(path: str, folder: Path) -> bool:
    """Whether ``path`` (as Gradio would resolve it) lies in ``folder``."""
    try:
        Path(os.path.abspath(path)).resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


class RequestLimits:
    """ASGI middleware enforcing the module's limits.

    :param upload_root: Gradio's upload folder; nothing in it is served.
    :param upload_types: accepted file extensions (lower case, with the dot).
    :param message: the text for a ui.toml key with format values (``Messages.get``).
    """

    def __init__(
        self,
        app: Any,
        *,
        upload_root: Path,
        upload_types: Collection[str],
        max_file_bytes: int,
        max_upload_bytes: int,
        message: Callable[..., str],
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app, self.upload_root, self.upload_types = app, upload_root, tuple(upload_types)
        self.max_file_bytes, self.max_upload_bytes = max_file_bytes, max_upload_bytes
        self.max_body_bytes, self.message = max_body_bytes, message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_of(scope["path"])
        if route == "file" and inside(scope["path"].partition("/file=")[2], self.upload_root):
            await self._refuse(scope, send, 403, "file_not_served")
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if route == "upload" else self.max_body_bytes
        key = "upload_request_too_large" if route == "upload" else "request_too_large"
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, 413, key)
            return
        body = Bounded(receive, limit)
        if route == "upload":
            await self._upload(scope, body, send, key)
            return
        started: list[bool] = []

        async def watch(message: dict[str, Any]) -> None:
            if not body.exceeded:  # an answer the app made up after the limit is replaced
                started.append(True)
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, body, watch)
        if body.exceeded and not started:
            await self._refuse(scope, send, 413, key)

    async def _upload(self, scope: dict[str, Any], body: Bounded, send: Any, key: str) -> None:
        """Let Gradio store the files, then drop those of other types before answering."""
        held: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            held.append(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, body, hold)
        if body.exceeded:
            await self._refuse(scope, send, 413, key)
            return
        status = held[0].get("status") if held else 500
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if status == 413:
            mb = self.max_file_bytes // (1024 * 1024)
            await self._refuse(scope, send, 413, "upload_too_large", mb=mb)
            return
        refused = self._drop_other_types(answer) if status == 200 else ""
        if refused:
            types = ", ".join(self.upload_types)
            await self._refuse(scope, send, 400, "upload_type_refused", names=refused, types=types)
            return
        for message in held:
            await send(message)

    def _drop_other_types(self, body: bytes) -> str:
        """Delete stored files whose extension is not accepted; their names, or ''."""
        try:
            paths = [Path(p) for p in json.loads(body)]
        except (ValueError, TypeError):
            return ""
        refused = [p for p in paths if p.suffix.lower() not in self.upload_types]
        for path in refused:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # its content-hash folder, if now empty
                path.parent.rmdir()
        return ", ".join(p.name for p in refused)

    async def _refuse(
        self, scope: dict[str, Any], send: Any, status: int, key: str, **values: Any
    ) -> None:
        async def no_body() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        await JSONResponse({"detail": self.message(key, **values)}, status)(scope, no_body, send)


class Bounded:
    """A ``receive`` that raises ``BodyTooLarge`` once more than ``limit`` bytes arrived.

    ``exceeded`` stays set even when the app catches the exception and answers itself.
    """

    def __init__(self, receive: Any, limit: int) -> None:
        self.receive, self.limit, self.seen, self.exceeded = receive, limit, 0, False

    async def __call__(self) -> dict[str, Any]:
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise BodyTooLarge
        return message
