"""Question answering over Korean news articles, with cited passages, fully offline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant
    from assistant.retrieval.hybrid import Filters
    from assistant.settings import Settings
    from assistant.types import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Settings"]

_WHERE = {
    "Answer": "assistant.types",
    "Citation": "assistant.types",
    "Filters": "assistant.retrieval.hybrid",
    "Assistant": "assistant.pipeline.service",
    "Settings": "assistant.settings",
}


def __getattr__(name: str) -> Any:
    """Import lazily: `assistant --help` should not wait for torch and Chroma to load."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
