"""Who may do what, on every route of the port (the API's and the page's): ``Policy``.

Credentials, and what they grant (``Policy.grant``):

* an API key, as ``Authorization: Bearer KEY`` or as the password of HTTP Basic (any
  user name: what a browser's own login prompt sends): an admin key (``api_admin_keys``)
  may write; any other key (``api_keys``) may read, and write too when no admin keys are
  set;
* the page login (``ui_username``/``ui_password``): as HTTP Basic on any route (API
  clients, scripts), or through the page's own login form (Gradio's cookie, checked by
  Gradio on its routes); it may write.

What is needed: nothing for ``/healthz`` and the docs; writing for uploads and deletes
(``POST /api/documents``, ``DELETE /api/documents/…``, the page's upload route and its
upload event); reading for everything else. With neither keys nor a login the port is
open on loopback (or with ``ui_insecure``); on another address the API is then closed
(401 saying to set ``api_keys``). Secrets are compared in constant time, each of them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from enum import IntEnum

from fastapi import Request

from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.web.access import is_loopback
from assistant.settings import Settings
from assistant.text.messages import Messages

CHALLENGE = {"WWW-Authenticate": "Bearer"}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="assistant", charset="UTF-8"'}


class Level(IntEnum):
    """What a request may do, or what a route needs; ``BAD``: credentials that are wrong."""

    BAD = -1
    NONE = 0
    READ = 1
    WRITE = 2


class Policy:
    """The access rules of the module docstring for one server's settings.

    :param texts: the API messages (``prompts/api.toml``).
    """

    def __init__(self, settings: Settings, texts: Messages) -> None:
        self.keys = [k.get_secret_value().encode() for k in settings.api_keys]
        self.admin = [k.get_secret_value().encode() for k in settings.api_admin_keys]
        password = settings.ui_password.get_secret_value() if settings.ui_password else ""
        self.login = (
            (settings.ui_username.encode(), password.encode())
            if settings.ui_username and password
            else None
        )
        self.has_keys = bool(self.keys or self.admin)
        self.open = not (self.has_keys or self.login) and (
            is_loopback(settings.ui_host) or settings.ui_insecure
        )
        self.host, self.texts = settings.ui_host, texts

    @property
    def required(self) -> bool:
        """Whether requests must carry credentials."""
        return not self.open

    def grant(self, headers: Mapping[str, str]) -> Level:
        """What the ``Authorization`` header in ``headers`` allows (NONE: there is none)."""
        scheme, _, given = headers.get("authorization", "").strip().partition(" ")
        given = given.strip()
        if not scheme:
            return Level.NONE
        if scheme.lower() == "bearer" and given:
            return self._key_level(given.encode())
        if scheme.lower() == "basic" and given:
            return self._basic_level(given)
        return Level.BAD

    def may_write(self, headers: Mapping[str, str], page_user: str | None) -> bool:
        """Whether a page event with these headers (and Gradio's login user) may write."""
        return self.open or page_user is not None or self.grant(headers) >= Level.WRITE

    def __call__(self, request: Request, *, admin: bool = False) -> None:
        """Raise ``ApiError`` (401/403) unless an API request may go on."""
        refusal = self.refusal(request.headers, Level.WRITE if admin else Level.READ)
        if refusal is not None:
            raise refusal

    def refusal(self, headers: Mapping[str, str], need: Level) -> ApiError | None:
        """Why an API request with ``headers`` may not do what needs ``need``, or None."""
        if self.open or need is Level.NONE:
            return None
        if not (self.has_keys or self.login):
            return ApiError(401, self.texts.get("no_keys", host=self.host), code="no_api_keys")
        level = self.grant(headers)
        challenge = CHALLENGE if self.has_keys else BASIC_CHALLENGE
        if level is Level.NONE:
            key = "unauthorized" if self.has_keys else "login_needed"
            return ApiError(401, self.texts.get(key), code="missing_api_key", headers=challenge)
        if level is Level.BAD:
            message = self.texts.get("bad_key")
            return ApiError(401, message, code="invalid_api_key", headers=challenge)
        if level < need:
            return ApiError(403, self.texts.get("admin_only"), code="admin_key_required")
        return None

    def _key_level(self, token: bytes) -> Level:
        is_admin = _matches(token, self.admin)
        if is_admin or (_matches(token, self.keys) and not self.admin):
            return Level.WRITE
        return Level.READ if _matches(token, self.keys) else Level.BAD

    def _basic_level(self, given: str) -> Level:
        try:
            user, colon, password = base64.b64decode(given, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return Level.BAD
        if not colon:
            return Level.BAD
        if self.login is not None:
            user_ok = hmac.compare_digest(user, self.login[0])
            password_ok = hmac.compare_digest(password, self.login[1])
            if user_ok and password_ok:
                return Level.WRITE
        return self._key_level(password) if password else Level.BAD


def _matches(token: bytes, keys: list[bytes]) -> bool:
    found = False
    for key in keys:  # no early exit: every key is compared
        found |= hmac.compare_digest(token, key)
    return found
