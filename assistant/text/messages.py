"""User-facing fixed phrases, loaded from ``prompts/messages.toml`` in two languages."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from assistant.text.korean import has_hangul


def language_of(text: str) -> str:
    """Answer in Korean when the question has Hangul, else in English."""
    return "ko" if has_hangul(text) else "en"


class Texts:
    def __init__(self, table: dict[str, dict[str, str]]) -> None:
        self._table = table

    @classmethod
    def load(cls, prompts_dir: Path) -> Texts:
        path = Path(prompts_dir) / "messages.toml"
        with path.open("rb") as fh:
            return cls(tomllib.load(fh))

    def get(self, key: str, lang: str = "ko", **values: Any) -> str:
        table = self._table.get(lang) or self._table["ko"]
        template = table.get(key) or self._table["ko"][key]
        return template.format(**values) if values else template
