"""User-facing fixed phrases, in Korean and English, from TOML files in ``prompts/``.

``messages.toml`` holds what the assistant may say in its own words (refusals, errors);
``ui.toml`` holds the browser page's labels. One lookup serves both, so a key missing in
English falls back to Korean the same way everywhere.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from assistant.text.korean import has_hangul


def language_of(text: str) -> str:
    """Answer in Korean when the question has Hangul, else in English."""
    return "ko" if has_hangul(text) else "en"


class Messages:
    """A table of phrases per language; ``get`` formats one with ``str.format`` values.

    :param table: ``{"ko": {key: text}, "en": {...}}``; Korean must hold every key.
    :param language: the default language of ``get`` (the page language for the UI).
    """

    def __init__(self, table: dict[str, dict[str, Any]], language: str = "ko") -> None:
        self._table = table
        self.language = language if language in table else "ko"

    @classmethod
    def load(cls, prompts_dir: Path, name: str = "messages.toml", language: str = "ko") -> Messages:
        """Read ``prompts_dir/name``; raises OSError or tomllib.TOMLDecodeError."""
        with (Path(prompts_dir) / name).open("rb") as fh:
            return cls(tomllib.load(fh), language)

    def get(self, key: str, lang: str | None = None, **values: Any) -> Any:
        """The text for ``key`` in ``lang`` (default: this table's language), else Korean."""
        table = self._table.get(lang or self.language) or self._table["ko"]
        value = table.get(key, self._table["ko"][key])
        return value.format(**values) if values and isinstance(value, str) else value
