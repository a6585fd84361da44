"""A full page queue, said clearly: 429 with ``Retry-After`` and the page's own message.

The page's events wait in Gradio's queue, bounded by ``ui_queue`` (``queue(max_size=…)``).
Gradio answers an event that finds it full with 503 and an English "Queue is full";
``QueueFull`` turns that into what ``/api`` and ``/v1`` answer a full queue with: 429,
``Retry-After`` and a message in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

RETRY_AFTER = 5  # seconds worth waiting before sending the event again
QUEUED_ROUTES = ("/queue/join", "/call/")  # where Gradio puts an event in its queue


def is_queued(path: str) -> bool:
    """Whether a request to ``path`` puts an event in Gradio's queue."""
    return path.rstrip("/").endswith(QUEUED_ROUTES[0]) or QUEUED_ROUTES[1] in path


class QueueFull:
    """ASGI middleware replacing Gradio's 503 for a full queue.

    :param message: the refusal text for a number of seconds to wait.
    """

    def __init__(self, app: Any, message: Callable[[int], str]) -> None:
        self.app, self.message = app, message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not is_queued(scope["path"]):
            await self.app(scope, receive, send)
            return
        full: list[bool] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                full.append(True)
            if not full:
                await send(message)

        await self.app(scope, receive, watch)
        if full:
            headers = {"Retry-After": str(RETRY_AFTER)}
            refusal = JSONResponse({"detail": self.message(RETRY_AFTER)}, 429, headers=headers)
            await refusal(scope, receive, send)
