"""The API application: a FastAPI app with the routes, limits, metrics and error shapes;
``mount_page`` puts the browser page (Gradio) under it, at ``/``, as Gradio documents
(``gr.mount_gradio_app``), so one server on one port serves both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.interfaces.api import ask, chat, documents, errors, health
from assistant.interfaces.api.context import Context
from assistant.interfaces.api.guard import Guard
from assistant.interfaces.api.limits import BodyLimit
from assistant.interfaces.api.metrics import MetricsMiddleware
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.server import page_options
from assistant.interfaces.web.tempdir import InstanceUploads
from assistant.settings import Settings
from assistant.text.messages import Messages

TITLE = "Korean news QA assistant"
DESCRIPTION = (
    "Answers with numbered citations from the indexed Korean news articles. "
    "`/api` is this server's own API, `/v1` is OpenAI-compatible (point any OpenAI client's "
    "base URL at it), `/` is the browser page. When keys are set, send "
    "`Authorization: Bearer KEY`."
)


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """The API over ``engine`` (an Assistant loaded or still loading), without the page.

    :return: the app; its ``state.context`` holds the shared parts (metrics, gate, …).
    """
    ctx = Context.build(engine, settings)
    app = FastAPI(title=TITLE, description=DESCRIPTION, version="0.1.0", redoc_url=None)
    app.state.context = ctx
    errors.install(app, ctx.texts.get("invalid", errors="{errors}"))
    app.add_middleware(
        BodyLimit,
        max_body_mb=settings.api_max_body_mb,
        max_upload_mb=settings.ui_max_upload_request_mb,
        message=lambda mb: ctx.texts.get("too_large", mb=mb),
    )
    ui = Messages.load(settings.prompts_dir, "ui.toml", "ko")
    app.add_middleware(Guard, policy=ctx.policy, throttle=ctx.throttle, ui=ui)
    app.add_middleware(MetricsMiddleware, metrics=ctx.metrics)  # outermost: counts refusals
    for module in (ask, documents, chat, health):
        app.include_router(module.router(ctx))
    return app


def mount_page(
    app: FastAPI,
    demo: gr.Blocks,
    settings: Settings,
    *,
    auth: Callable[[str, str], bool] | None,
    uploads: InstanceUploads,
    language: str = "ko",
) -> FastAPI:
    """Serve the page ``demo`` at ``/`` of ``app``, with its login, limits and upload folder.

    :param uploads: the server's upload folder, created; it is attached to the page here.
    """
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    uploads.attach(demo)
    options: dict[str, Any] = page_options(
        settings, texts, uploads, throttle=app.state.context.throttle
    )
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=auth,
        **options,
    )
