"""Serving the page: address and login, limits, uploads folder, loading the engine.

``start`` decides whether the configured address may be served (``access``), puts the
request limits and the login throttle in front of Gradio's routes (``limits``,
``throttle``) and gives the server its own upload folder (``tempdir``).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from assistant.interfaces.web.access import exposure_warning, login_for
from assistant.interfaces.web.app import APP_CSS, build_app
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.limits import RequestLimits
from assistant.interfaces.web.locale import gradio_i18n
from assistant.interfaces.web.queue import QueueFull
from assistant.interfaces.web.tempdir import InstanceUploads
from assistant.interfaces.web.throttle import LoginThrottle, LoginThrottleMiddleware
from assistant.interfaces.web.uploads import UPLOAD_TYPES
from assistant.settings import Settings
from assistant.text.messages import Messages

MB = 1024 * 1024
THEME_FONTS = ["Pretendard", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "system-ui"]
PAGE = dict(ssr_mode=False, show_error=False, footer_links=["api"])
LAUNCH = dict(share=False, num_workers=0)


def start(demo: gr.Blocks, settings: Settings, *, block: bool = True, language: str = "ko") -> None:
    """Serve ``demo`` on the configured address, theme and login, within the limits.

    Raises ``access.Refused`` (a SystemExit with the reason) for a non-loopback address
    without a login unless ``ui_insecure`` is set; then it prints a loud warning.
    ``assistant serve`` mounts the same page under the HTTP API (``interfaces.api``), with
    the access policy on every route and the client taken from the connection (forwarded
    headers only from ``forwarded_allow_ips``); this page-only server is Gradio's own
    uvicorn, which believes ``X-Forwarded-For`` from 127.0.0.1 (``FORWARDED_ALLOW_IPS``).
    """
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    auth = login_for(settings, texts)
    warning = exposure_warning(settings, texts)
    if warning:
        bar = "!" * 78
        print(f"{bar}\n!! {warning}\n{bar}", file=sys.stderr, flush=True)
    uploads = InstanceUploads()
    uploads.create()
    uploads.attach(demo)
    try:
        demo.launch(
            server_name=settings.ui_host,
            server_port=settings.ui_port,
            auth=auth,
            prevent_thread_lock=not block,
            **page_options(settings, texts, uploads),
            **LAUNCH,
        )
    finally:
        if block or not demo.is_running:
            uploads.remove()


def page_options(
    settings: Settings,
    texts: Messages,
    uploads: InstanceUploads,
    throttle: LoginThrottle | None = None,
) -> dict[str, Any]:
    """What serving the page takes besides address and login, for ``launch`` or mounting.

    :param uploads: this server's upload folder (created and attached to the page).
    :param throttle: the server's failed-login counts (the API's guard shares them).
    :return: theme, CSS, Gradio's own strings in the page language (``locale``), file size
        limit, and the limits, login throttle and upload folder lifespan as the Gradio
        app's ``app_kwargs``.
    """
    middleware = [
        Middleware(
            RequestLimits,  # type: ignore[arg-type]
            upload_root=uploads.root,
            upload_types=UPLOAD_TYPES,
            max_file_bytes=settings.ui_max_upload_mb * MB,
            max_upload_bytes=settings.ui_max_upload_request_mb * MB,
            message=texts.get,
        ),
        Middleware(
            LoginThrottleMiddleware,  # type: ignore[arg-type]
            throttle=throttle or LoginThrottle(),
            message=lambda seconds: texts.get("login_throttled", seconds=seconds),
        ),
        Middleware(
            QueueFull,  # type: ignore[arg-type]
            message=lambda seconds: texts.get("queue_full", seconds=seconds),
        ),
    ]
    return dict(
        theme=gr.themes.Soft(primary_hue="indigo", font=THEME_FONTS, font_mono=["monospace"]),
        css=APP_CSS,
        i18n=gradio_i18n(settings.prompts_dir, texts.language),
        max_file_size=settings.ui_max_upload_mb * MB,
        app_kwargs={"middleware": middleware, "lifespan": uploads.lifespan()},
        **PAGE,
    )


def launch(settings: Settings, ingest: bool = True, *, language: str = "ko") -> None:
    """Serve the page now; load the model and ingest ``settings.corpus_dir`` meanwhile."""
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    login_for(settings, texts)  # refuse an unsafe address before loading anything
    engine = Engine()
    demo = build_app(engine, settings, language=language)
    threading.Thread(
        target=engine.load, args=(settings, ingest, texts), name="assistant-load", daemon=True
    ).start()
    try:
        start(demo, settings, language=language)
    finally:
        engine.close()
