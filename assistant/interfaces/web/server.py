"""Serving the page: address, theme, login, and loading the engine in the background."""

from __future__ import annotations

import threading

import gradio as gr

from assistant.interfaces.web.app import APP_CSS, build_app
from assistant.interfaces.web.engine import Engine
from assistant.settings import Settings
from assistant.text.messages import Messages

THEME_FONTS = ["Pretendard", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "system-ui"]
LAUNCH = dict(
    share=False, ssr_mode=False, show_error=False, footer_links=["api"], max_file_size="50mb"
)


def start(demo: gr.Blocks, settings: Settings, *, block: bool = True) -> None:
    """Serve ``demo`` on the configured address, theme and optional login."""
    auth = None
    if settings.ui_username or settings.ui_password:
        if not (settings.ui_username and settings.ui_password):
            raise SystemExit("Set both ui_username and ui_password to require a login.")
        auth = (settings.ui_username, settings.ui_password.get_secret_value())
    demo.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=auth,
        prevent_thread_lock=not block,
        theme=gr.themes.Soft(primary_hue="indigo", font=THEME_FONTS, font_mono=["monospace"]),
        css=APP_CSS,
        **LAUNCH,
    )


def launch(settings: Settings, ingest: bool = True, *, language: str = "ko") -> None:
    """Serve the page now; load the model and ingest ``settings.corpus_dir`` meanwhile."""
    engine = Engine()
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    demo = build_app(engine, settings, language=language)
    threading.Thread(
        target=engine.load, args=(settings, ingest, texts), name="assistant-load", daemon=True
    ).start()
    try:
        start(demo, settings)
    finally:
        engine.close()
