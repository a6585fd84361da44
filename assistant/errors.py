"""Every error the assistant raises on purpose, in one place so callers can catch by kind.

Each message says what went wrong and what to do; none needs a traceback to be understood.
"""

from __future__ import annotations


class AssistantError(RuntimeError):
    """Base of the errors below."""


class StoreUnavailable(AssistantError):
    """The index cannot be used right now (Chroma unreachable, or one of the kinds below);
    the message says what to do."""


class StoreFull(StoreUnavailable):
    """The disk holding DATA_DIR is full; the batch being written was not recorded."""


class StoreReadOnly(StoreUnavailable):
    """A write to an index in a folder this process may only read."""


class IndexBusy(StoreUnavailable):
    """Another process kept writing the same index for longer than the lock timeout."""


class IndexDamaged(StoreUnavailable):
    """A file of the index fails its check; the message names it and how to rebuild."""


class StaleIndex(AssistantError):
    """Chroma's view in this process is older than its files (another process wrote to
    them); the store reopens it and retries once, so callers rarely see this."""


class IndexMismatch(AssistantError):
    """The index was built with another embedding model."""


class IndexOutdated(IndexMismatch):
    """The index was built before document ids carried their source; it must be rebuilt
    before more is ingested (the message names the folders to rebuild it from)."""


class ModelPreparationError(AssistantError):
    """The default embedding model cannot be built (missing package, bad file, failed check)."""


class ClusterUnavailable(AssistantError):
    """The Ray cluster an ingest was pointed at cannot be reached or used (or Ray is not
    installed); the message names the address. Nothing was written."""


class LLMError(AssistantError):
    """A generative answerer's server failed, timed out or is not configured."""


class UnreadableFile(ValueError):
    """A file that is not text in any encoding we accept, or not the format its name says."""


class CaseFileError(ValueError):
    """An evaluation case file that cannot be read; the message names the line."""
