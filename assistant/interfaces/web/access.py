"""Who may reach the page: anyone on this machine, or a login once it listens further.

A loopback address (127.0.0.1, ::1, localhost) is served as it is. Any other address
(0.0.0.0, a LAN address, a host name) opens the page and its uploads to the network, so
it needs ``ui_username`` and ``ui_password``; without them the server refuses to start
unless ``ui_insecure`` (``assistant serve --insecure``) says it is meant, and then it
warns loudly. Passwords are compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from assistant.settings import Settings
from assistant.text.messages import Messages

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


class Refused(SystemExit):
    """The server will not start as configured; the message says why and what to set."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (a name other than localhost: no)."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentials_checker(username: str, password: str) -> Callable[[str, str], bool]:
    """Gradio's ``auth`` callable: both parts compared in constant time, always both."""
    user, secret = username.encode(), password.encode()

    def check(given_user: str, given_password: str) -> bool:
        user_ok = hmac.compare_digest(str(given_user).encode(), user)
        password_ok = hmac.compare_digest(str(given_password).encode(), secret)
        return user_ok and password_ok

    return check


def login_for(settings: Settings, texts: Messages) -> Callable[[str, str], bool] | None:
    """The login check to serve with, or None for an open page; ``Refused`` if unsafe.

    An open page on a non-loopback address needs ``ui_insecure``; the warning for it is
    returned through ``exposure_warning``.
    """
    username = settings.ui_username
    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    if username or password:
        if not (username and password):
            raise Refused(texts.get("login_incomplete"))
        return credentials_checker(username, password)
    if not is_loopback(settings.ui_host) and not settings.ui_insecure:
        raise Refused(texts.get("insecure_refused", host=settings.ui_host))
    return None


def exposure_warning(settings: Settings, texts: Messages) -> str | None:
    """The loud warning for an open page on a non-loopback address, if that is the case."""
    open_page = not (settings.ui_username or settings.ui_password)
    if open_page and not is_loopback(settings.ui_host):
        return texts.get("insecure_warning", host=settings.ui_host)
    return None
