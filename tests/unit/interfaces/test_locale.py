"""Gradio's own strings follow the page's language (``prompts/gradio.toml``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.interfaces.web.locale import GRADIO_LOCALES, gradio_i18n, gradio_texts
from assistant.settings import PROJECT_ROOT

PROMPTS = PROJECT_ROOT / "prompts"


def test_a_korean_page_gives_every_browser_locale_the_korean_table() -> None:
    i18n = gradio_i18n(PROMPTS, "ko")
    assert i18n is not None
    table = i18n.translations_dict
    assert set(table) == set(GRADIO_LOCALES) and {"en", "ko", "de"} <= set(table)
    assert all(t == table["ko"] for t in table.values())
    assert table["en"]["upload_text.drop_file"] == "파일을 여기에 끌어다 놓으세요"
    for key in ("upload_text.click_to_upload", "common.or", "chatbot.like", "errors.use_via_api"):
        assert any("\uac00" <= ch <= "\ud7a3" for ch in table["en"][key]), key


def test_a_page_language_without_a_table_leaves_gradio_to_the_browser() -> None:
    assert gradio_texts(PROMPTS, "en") == {}
    assert gradio_i18n(PROMPTS, "en") is None


def test_every_locale_gradio_ships_gets_the_table() -> None:
    """Gradio picks one of its bundled locales from the browser; each must be covered."""
    import re

    import gradio

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    shipped = set()
    for script in assets.glob("core-*.js"):
        shipped |= set(re.findall(r'"\./lang/([A-Za-z-]+)\.json"', script.read_text("utf-8")))
    if not shipped:
        pytest.skip("this Gradio build names its locales differently")
    assert shipped <= set(GRADIO_LOCALES), shipped - set(GRADIO_LOCALES)
