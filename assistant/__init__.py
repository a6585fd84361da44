"""Question answering over Korean news articles, with cited passages, fully offline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answering import Answer, Citation
    from assistant.retrieval import Filters
    from assistant.service import Assistant
    from assistant.settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Settings"]

_WHERE = {
    "Answer": "assistant.answering",
    "Citation": "assistant.answering",
    "Filters": "assistant.retrieval",
    "Assistant": "assistant.service",
    "Settings": "assistant.settings",
}


def __getattr__(name: str) -> Any:
    """Import lazily: `assistant --help` should not wait for torch and Chroma to load."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
