"""Request body limits for /api and /v1 (the page's routes have ``web.limits``).

A JSON body is at most ``api_max_body_mb``; an upload (``POST /api/documents``) at most
``ui_max_upload_request_mb`` in all. A declared ``Content-Length`` over the limit is
refused before anything is read, a chunked body as soon as it goes over: 413 with a
message, in the route's error shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from assistant.interfaces.api.errors import error_response
from assistant.interfaces.web.limits import BODY_METHODS, BodyTooLarge, Bounded

MB = 1024 * 1024
API_PREFIXES = ("/api/", "/v1/")
UPLOAD_PATH = "/api/documents"


class BodyLimit:
    """ASGI middleware bounding request bodies on the API's routes.

    :param message: the refusal text for a limit in MB.
    """

    def __init__(
        self, app: Any, *, max_body_mb: int, max_upload_mb: int, message: Callable[[int], str]
    ) -> None:
        self.app, self.max_body_mb, self.max_upload_mb = app, max_body_mb, max_upload_mb
        self.message = message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not path.startswith(API_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        mb = self.max_upload_mb if path.rstrip("/") == UPLOAD_PATH else self.max_body_mb
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > mb * MB:
            await self._refuse(scope, send, mb)
            return
        body = Bounded(receive, mb * MB)
        started: list[bool] = []

        async def watch(message: dict[str, Any]) -> None:
            if not body.exceeded:
                started.append(True)
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, body, watch)
        if body.exceeded and not started:
            await self._refuse(scope, send, mb)

    async def _refuse(self, scope: dict[str, Any], send: Any, mb: int) -> None:
        async def no_body() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        response = error_response(scope["path"], 413, self.message(mb), "request_too_large")
        await response(scope, no_body, send)
