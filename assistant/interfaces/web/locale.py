"""Gradio's own strings in the page's language, whatever the visitor's browser says.

Gradio translates its strings ("Drop File Here", "Click to Upload", the like buttons) by
the browser's language, so a Korean page opened in an English browser mixed the two.
``gradio_i18n`` gives Gradio the page language's table from ``prompts/gradio.toml`` as
custom translations for every locale Gradio can pick; custom keys take precedence over
its bundled ones, so the page's language wins.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import gradio as gr

# The locales Gradio 6's front end ships (and so may choose from the browser's language).
GRADIO_LOCALES = (
    "ar", "ca", "ckb", "de", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id",
    "ja", "ko", "lt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sv", "ta", "th", "tr",
    "uk", "ur", "uz", "zh-CN", "zh-TW",
)  # fmt: skip


def gradio_texts(prompts_dir: Path, language: str) -> dict[str, str]:
    """Gradio's keys and the page language's text for them ({} if the file has none)."""
    with (Path(prompts_dir) / "gradio.toml").open("rb") as fh:
        table = tomllib.load(fh).get(language, {})
    return {str(k): str(v) for k, v in table.items()}


def gradio_i18n(prompts_dir: Path, language: str) -> gr.I18n | None:
    """The ``i18n`` for ``launch``/``mount_gradio_app``: one table for every locale, or None."""
    texts = gradio_texts(prompts_dir, language)
    if not texts:
        return None
    return gr.I18n(**{locale: dict(texts) for locale in GRADIO_LOCALES})
