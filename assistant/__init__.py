"""Question answering over Korean news articles, with cited passages, fully offline.

The public surface is ``__all__``; everything else may change between versions. Names are
imported lazily so that ``assistant --help`` does not wait for torch and Chroma to load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answering.base import Answerer, AnswerRequest
    from assistant.errors import (
        AssistantError,
        IndexMismatch,
        LLMError,
        ModelPreparationError,
        StoreUnavailable,
        UnreadableFile,
    )
    from assistant.indexing.ingest import IngestReport
    from assistant.interfaces.runtime import configure_logging, configure_threads
    from assistant.pipeline.options import AskOptions
    from assistant.pipeline.service import Assistant
    from assistant.retrieval.filters import Filters
    from assistant.retrieval.fusion import Fusion
    from assistant.settings import Settings
    from assistant.types import Answer, Article, Chunk, Citation, Span

_WHERE = {
    "Answer": "assistant.types",
    "Answerer": "assistant.answering.base",
    "AnswerRequest": "assistant.answering.base",
    "Article": "assistant.types",
    "AskOptions": "assistant.pipeline.options",
    "Assistant": "assistant.pipeline.service",
    "AssistantError": "assistant.errors",
    "Chunk": "assistant.types",
    "Citation": "assistant.types",
    "Filters": "assistant.retrieval.filters",
    "Fusion": "assistant.retrieval.fusion",
    "IndexMismatch": "assistant.errors",
    "IngestReport": "assistant.indexing.ingest",
    "LLMError": "assistant.errors",
    "ModelPreparationError": "assistant.errors",
    "Settings": "assistant.settings",
    "Span": "assistant.types",
    "StoreUnavailable": "assistant.errors",
    "UnreadableFile": "assistant.errors",
    "configure_logging": "assistant.interfaces.runtime",
    "configure_threads": "assistant.interfaces.runtime",
}

__all__ = [
    "Answer",
    "AnswerRequest",
    "Answerer",
    "Article",
    "AskOptions",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Filters",
    "Fusion",
    "IndexMismatch",
    "IngestReport",
    "LLMError",
    "ModelPreparationError",
    "Settings",
    "Span",
    "StoreUnavailable",
    "UnreadableFile",
    "configure_logging",
    "configure_threads",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
