"""The door in front of every route on the port: ``Guard`` applies ``auth.Policy`` to
the API's routes and the page's (Gradio's) alike, and throttles wrong credentials.

* API routes (``/api``, ``/v1``, ``/metrics``): refused in the route's error shape (401
  with a challenge, 403 for a write without the right), before any route runs.
* Page routes: with a page login set, a request without credentials goes on to Gradio,
  whose login form and cookie check guard its routes; a read key may not use the upload
  route (403). With keys and no login, the page needs a key: 401 with a Basic challenge,
  so a browser asks for it (any user name, the key as the password).
* Wrong credentials count as failed logins of the peer (``web.throttle``); a peer locked
  out gets 429 with ``Retry-After`` for any request with credentials. The peer is the
  connection's address: forwarded headers are honoured only from ``forwarded_allow_ips``
  (uvicorn's setting, off unless set).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from assistant.interfaces.api.auth import BASIC_CHALLENGE, Level, Policy
from assistant.interfaces.api.errors import error_response
from assistant.interfaces.web.throttle import LoginThrottle
from assistant.text.messages import Messages

PUBLIC = ("/healthz", "/docs", "/docs/oauth2-redirect", "/openapi.json")
API_PREFIXES = ("/api/", "/v1/")
POLICY_VIOLATION = 1008  # the close code for a websocket refused
WRITE_ROUTES = (("POST", "/api/documents"), ("DELETE", "/api/documents/"))


def is_api(path: str) -> bool:
    """Whether ``path`` is one of the API's routes (not the page's)."""
    return path.startswith(API_PREFIXES) or path.rstrip("/") in ("/api", "/v1", "/metrics")


def needed(method: str, path: str) -> Level:
    """What a request needs: NONE (probes, docs), WRITE (uploads, deletes) or READ."""
    if path.rstrip("/") in PUBLIC:
        return Level.NONE
    if (method, path.rstrip("/")) == WRITE_ROUTES[0] or (
        method == WRITE_ROUTES[1][0] and path.startswith(WRITE_ROUTES[1][1])
    ):
        return Level.WRITE
    if method == "POST" and not is_api(path) and path.rstrip("/").endswith("/upload"):
        return Level.WRITE  # the page's file upload route
    return Level.READ


def peer(scope: dict[str, Any]) -> str:
    """The client's address as uvicorn gives it (a trusted proxy's forwarded one, or the
    connection's)."""
    return str((scope.get("client") or ("unknown",))[0])


class Guard:
    """ASGI middleware enforcing ``policy`` on every route.

    :param throttle: counts wrong credentials per peer (shared with the page's login).
    :param ui: the page's messages (``prompts/ui.toml``), for refusals on its routes.
    """

    def __init__(self, app: Any, policy: Policy, throttle: LoginThrottle, ui: Messages) -> None:
        self.app, self.policy, self.throttle, self.ui = app, policy, throttle, ui

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        need = needed(scope.get("method", "GET"), scope.get("path", ""))
        kind = scope["type"]
        if kind not in ("http", "websocket") or self.policy.open or need is Level.NONE:
            await self.app(scope, receive, send)
            return
        response = self._refusal(scope, need)
        if response is None:
            await self.app(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        else:
            await response(scope, receive, send)

    def _refusal(self, scope: dict[str, Any], need: Level) -> Any:
        """The response refusing this request, or None to let it go on."""
        path, headers, client = scope["path"], Headers(scope=scope), peer(scope)
        wait = self.throttle.retry_after(client)
        if wait and "authorization" in headers:
            texts = self.policy.texts if is_api(path) else self.ui
            message = texts.get("throttled", seconds=wait)
            return error_response(path, 429, message, "throttled", {"Retry-After": str(wait)})
        level = self.policy.grant(headers)
        if level is Level.BAD:
            self.throttle.failed(client)
        if is_api(path):
            no = self.policy.refusal(headers, need)
            return (
                None
                if no is None
                else error_response(path, no.status, no.message, no.code, no.headers)
            )
        return self._page_refusal(level, need)

    def _page_refusal(self, level: Level, need: Level) -> Any:
        if level is Level.NONE and self.policy.login is not None:
            return None  # Gradio's own login form and cookie check
        if level is Level.NONE or level is Level.BAD:
            key = "page_key_bad" if level is Level.BAD else "page_key_needed"
            return JSONResponse({"detail": self.ui.get(key)}, 401, headers=BASIC_CHALLENGE)
        if level < need:
            return JSONResponse({"detail": self.ui.get("upload_forbidden")}, 403)
        return None
