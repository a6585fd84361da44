"""``assistant serve``: one uvicorn server with the API and the page, on the configured address.

Who may reach what (``decide``):

* loopback (127.0.0.1, ::1, localhost): open, as before; a login or API keys, if set,
  are required on every route, the page's included (``auth.Policy``, ``guard.Guard``);
* any other address: the page needs the login (``ui_username``/``ui_password``) and
  the API a key (``api_keys``) or the login; with neither set the server refuses to
  start, unless ``ui_insecure`` (``--insecure``) says it is meant (then it warns loudly).
  With keys but no login the page is not served, only the API.

The client of a request is the connection's address; uvicorn rewrites it from
``X-Forwarded-For`` only for the proxies in ``forwarded_allow_ips``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn

from assistant.interfaces.api.app import create_app, mount_page
from assistant.interfaces.web.access import Refused, exposure_warning, is_loopback, login_for
from assistant.interfaces.web.app import build_app
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.tempdir import InstanceUploads
from assistant.settings import Settings
from assistant.text.messages import Messages

START_TIMEOUT = 30.0  # seconds for uvicorn to bind and run the lifespan


@dataclass
class Access:
    """What to serve: the page (with its login check, or None) and what to warn about."""

    page: bool
    login: Callable[[str, str], bool] | None
    warnings: list[str] = field(default_factory=list)


def decide(settings: Settings, language: str = "ko") -> Access:
    """The access rules of the module docstring; raises ``Refused`` (a SystemExit)."""
    ui = Messages.load(settings.prompts_dir, "ui.toml", language)
    api = Messages.load(settings.prompts_dir, "api.toml", language)
    host = settings.ui_host
    has_login = bool(settings.ui_username or settings.ui_password)
    has_keys = bool(settings.api_keys or settings.api_admin_keys)
    if is_loopback(host) or has_login or settings.ui_insecure:
        login = login_for(settings, ui)  # an incomplete login is refused here
        warning = exposure_warning(settings, ui)
        return Access(True, login, [warning] if warning else [])
    if not has_keys:
        raise Refused(api.get("refused_start", host=host))
    return Access(False, None, [api.get("api_only", host=host)])


@dataclass
class Running:
    """A server started with ``block=False``; ``stop()`` ends it and removes its uploads."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread
    uploads: InstanceUploads | None

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the server to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.uploads is not None:
            self.uploads.remove()


def serve(
    engine: Engine, settings: Settings, *, block: bool = True, language: str = "ko"
) -> Running | None:
    """Serve the API and (if allowed) the page over ``engine`` on ``ui_host:ui_port``.

    :param block: run until interrupted (None is returned), else start in a thread and
        return the ``Running`` server once it accepts connections.
    """
    access = decide(settings, language)
    for warning in access.warnings:
        bar = "!" * 78
        print(f"{bar}\n!! {warning}\n{bar}", file=sys.stderr, flush=True)
    app = create_app(engine, settings)
    uploads = None
    if access.page:
        uploads = InstanceUploads()
        uploads.create()
        demo = build_app(engine, settings, language=language)
        mount_page(app, demo, settings, auth=access.login, uploads=uploads, language=language)
    config = uvicorn.Config(
        app,
        host=settings.ui_host,
        port=settings.ui_port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        # the client is the connection's address unless it is a listed proxy (throttling)
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    server = uvicorn.Server(config)
    url = f"http://{settings.ui_host}:{settings.ui_port}"
    if block:
        print(f"serving {url}/ (page), {url}/docs (API), {url}/v1 (OpenAI)", file=sys.stderr)
        try:
            server.run()
        finally:
            if uploads is not None:
                uploads.remove()
        return None
    thread = threading.Thread(target=server.run, name="assistant-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            if uploads is not None:
                uploads.remove()
            raise RuntimeError(f"the server did not start on {url}")
        time.sleep(0.01)
    return Running(url, server, thread, uploads)


def launch(settings: Settings, ingest: bool = True, *, language: str = "ko") -> None:
    """Serve now; load the model (and ingest ``corpus_dir``, if set) meanwhile."""
    decide(settings, language)  # refuse an unsafe address before loading anything
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    engine = Engine()
    threading.Thread(
        target=engine.load, args=(settings, ingest, texts), name="assistant-load", daemon=True
    ).start()
    try:
        serve(engine, settings, language=language)
    finally:
        engine.close()
