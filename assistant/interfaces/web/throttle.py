"""Failed-login throttling: after a few wrong logins from one client, a pause.

Gradio answers ``POST /login`` itself; ``LoginThrottleMiddleware`` sits in front of it.
A client (by its address) with ``MAX_FAILURES`` failed logins within ``WINDOW`` seconds
is refused for ``LOCKOUT`` seconds with 429, a ``Retry-After`` header and a message that
says how long, even with the right password, so guessing gains nothing meanwhile. A
successful login clears the client's count.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

MAX_FAILURES = 5
WINDOW = 60.0  # seconds in which MAX_FAILURES failures lock a client out
LOCKOUT = 300.0  # seconds a locked-out client waits
MAX_CLIENTS = 10_000  # clients remembered before stale ones are forgotten


class LoginThrottle:
    """Counts failed logins per client; ``retry_after`` says how long one must wait."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
        lockout: float = LOCKOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures, self.window, self.lockout = max_failures, window, lockout
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def retry_after(self, client: str) -> int:
        """Whole seconds ``client`` must wait before trying again (0: it may try now)."""
        left = self._locked_until.get(client, 0.0) - self._clock()
        if left <= 0:
            self._locked_until.pop(client, None)
            return 0
        return math.ceil(left)

    def failed(self, client: str) -> None:
        """Count a failed login; the limit within the window locks the client out."""
        now = self._clock()
        recent = self._failures.setdefault(client, deque())
        recent.append(now)
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.max_failures:
            self._locked_until[client] = now + self.lockout
            recent.clear()
        if len(self._failures) > MAX_CLIENTS:
            self._forget_stale(now)

    def succeeded(self, client: str) -> None:
        """A good login clears the client's failures."""
        self._failures.pop(client, None)

    def _forget_stale(self, now: float) -> None:
        for client, recent in list(self._failures.items()):
            if not recent or recent[-1] <= now - self.window:
                del self._failures[client]
        for client, until in list(self._locked_until.items()):
            if until <= now:
                del self._locked_until[client]


class LoginThrottleMiddleware:
    """ASGI middleware: refuses logins from locked-out clients, counts the outcomes.

    :param message: the refusal text for a number of seconds to wait.
    """

    def __init__(self, app: Any, throttle: LoginThrottle, message: Callable[[int], str]) -> None:
        self.app, self.throttle, self.message = app, throttle, message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        is_login = (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/").endswith("/login")
        )
        if not is_login:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.throttle.retry_after(client)
        if wait:
            refusal = JSONResponse(
                {"detail": self.message(wait)}, 429, headers={"Retry-After": str(wait)}
            )
            await refusal(scope, receive, send)
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] in (400, 401, 403):
            self.throttle.failed(client)
        elif status and status[0] < 300:
            self.throttle.succeeded(client)
