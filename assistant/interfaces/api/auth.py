"""Who may call the API: anyone on loopback with no keys set; otherwise a Bearer key.

* Keys set (``api_keys``, ``api_admin_keys``): every /api and /v1 request needs
  ``Authorization: Bearer KEY`` with one of them, whatever the address.
* No keys, loopback address (or ``ui_insecure``): open, as the page is.
* No keys, any other address: the API is closed (401 saying to set ``api_keys``).
* ``api_admin_keys`` set: uploads and deletes need one of those; other keys get 403.

Keys are compared in constant time, each of them, so timing tells nothing.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.web.access import is_loopback
from assistant.settings import Settings
from assistant.text.messages import Messages

CHALLENGE = {"WWW-Authenticate": "Bearer"}


class KeyCheck:
    """Checks a request's Bearer key against the settings' keys.

    :param texts: the API messages (``prompts/api.toml``).
    """

    def __init__(self, settings: Settings, texts: Messages) -> None:
        self.keys = [k.get_secret_value().encode() for k in settings.api_keys]
        self.admin = [k.get_secret_value().encode() for k in settings.api_admin_keys]
        self.open = not (self.keys or self.admin) and (
            is_loopback(settings.ui_host) or settings.ui_insecure
        )
        self.host, self.texts = settings.ui_host, texts

    @property
    def required(self) -> bool:
        """Whether requests must carry a key."""
        return not self.open

    def __call__(self, request: Request, *, admin: bool = False) -> None:
        """Raise ``ApiError`` (401/403) unless the request may go on."""
        if self.open:
            return
        if not (self.keys or self.admin):
            raise ApiError(401, self.texts.get("no_keys", host=self.host), code="no_api_keys")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(
                401, self.texts.get("unauthorized"), code="missing_api_key", headers=CHALLENGE
            )
        token = given.strip().encode()
        is_admin = _matches(token, self.admin)
        if not (is_admin or _matches(token, self.keys)):
            message = self.texts.get("bad_key")
            raise ApiError(401, message, code="invalid_api_key", headers=CHALLENGE)
        if admin and self.admin and not is_admin:
            raise ApiError(403, self.texts.get("admin_only"), code="admin_key_required")


def _matches(token: bytes, keys: list[bytes]) -> bool:
    found = False
    for key in keys:  # no early exit: every key is compared
        found |= hmac.compare_digest(token, key)
    return found
