"""Every error the assistant raises on purpose, in one place so callers can catch by kind.

Each message says what went wrong and what to do; none needs a traceback to be understood.
"""

from __future__ import annotations


class AssistantError(RuntimeError):
    """Base of the errors below."""


class StoreUnavailable(AssistantError):
    """Chroma cannot be reached or opened; the message says what to do."""


class IndexMismatch(AssistantError):
    """The index was built with another embedding model."""


class IndexOutdated(IndexMismatch):
    """The index was built before document ids carried their source; it must be rebuilt
    before more is ingested (the message names the folders to rebuild it from)."""


class ModelPreparationError(AssistantError):
    """The default embedding model cannot be built (missing package, bad file, failed check)."""


class LLMError(AssistantError):
    """A generative answerer's server failed, timed out or is not configured."""


class UnreadableFile(ValueError):
    """A file that is not text in any encoding we accept, or not the format its name says."""


class CaseFileError(ValueError):
    """An evaluation case file that cannot be read; the message names the line."""
