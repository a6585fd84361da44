"""The engine behind the page: the shared ``Assistant``, or why it is not there yet.

The page is served at once; the model loads and the corpus is ingested in a background
thread, and the status line says which step is running.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.settings import Settings
from assistant.text.messages import Messages

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant

log = logging.getLogger(__name__)
SERVER_RETRY = 5.0  # seconds between tries to reach a Chroma server that is not up


class Engine:
    """Holds the one ``Assistant`` of the process once it is loaded.

    :param qa: an Assistant that is already loaded (tests, embedding in another app).
    """

    def __init__(self, qa: Assistant | None = None) -> None:
        self.qa = qa
        self.failed: str | None = None
        self._status: tuple[str, dict[str, Any]] = ("status_starting", {})
        self.ingest_lock = threading.Lock()  # one ingest at a time; asks go on meanwhile

    @property
    def ready(self) -> bool:
        """True once the Assistant is loaded and questions can be answered."""
        return self.qa is not None

    def status(self, texts: Messages) -> str:
        """The status line: ready with counts, the step under way, or why it failed."""
        if self.failed is not None:
            return texts.get("status_failed", error=self.failed)
        if self.qa is not None:
            from assistant.errors import StoreUnavailable

            try:
                self.qa.store.ping()  # ready only while the vector store answers
                docs, chunks = self.qa.store.counts()
            except StoreUnavailable as exc:
                return texts.get("status_store_failed", error=str(exc))
            return texts.get("status_ready", docs=docs, chunks=chunks)
        key, values = self._status
        return texts.get(key, **values)

    def load(self, settings: Settings, ingest: bool, texts: Messages) -> None:
        """Build the Assistant and ingest the corpus folder, saying so on page and terminal."""

        def say(key: str, **values: Any) -> None:
            self._status = (key, values)
            print(texts.get(key, **values), file=sys.stderr, flush=True)

        try:
            say("status_loading_model")
            from assistant.indexing.files import find_files

            qa = self._open(settings, say)
            corpus = settings.corpus_dir if ingest else None  # unset: nothing to ingest
            if corpus is not None and not corpus.exists():
                log.warning("corpus_dir %s does not exist; nothing ingested", corpus)
            elif corpus is not None:
                say("status_ingesting", count=len(list(find_files([corpus]))))
                with self.ingest_lock:
                    report = qa.ingest([corpus], progress=True)
                print(report.summary(), file=sys.stderr, flush=True)
            try:  # load a local LLM now, not on the first question
                qa.answerer.warm()
            except Exception as exc:  # answers fall back to quoting; say why once
                log.warning("the %s answerer is not available: %s", qa.answerer.name, exc)
            self.qa = qa
            print(self.status(texts), file=sys.stderr, flush=True)
        except Exception as exc:
            log.exception("the assistant failed to start")
            self.failed = str(exc) or type(exc).__name__

    def _open(self, settings: Settings, say: Callable[..., None]) -> Assistant:
        """The Assistant; a Chroma server that does not answer (yet) is tried again every
        ``SERVER_RETRY`` seconds, so a replica started before its server, or while it is
        down, comes up by itself once the server is back (``/healthz`` says 503 meanwhile).
        """
        from assistant.errors import StoreUnavailable
        from assistant.pipeline.service import Assistant

        while True:
            try:
                return Assistant(settings)
            except StoreUnavailable as exc:  # not its kinds (damaged, full, read-only)
                if not settings.chroma_host or type(exc) is not StoreUnavailable:
                    raise
                say("status_store_waiting", seconds=SERVER_RETRY, error=str(exc))
                time.sleep(SERVER_RETRY)

    def close(self) -> None:
        """Close the Assistant, if it was loaded."""
        if self.qa is not None:
            self.qa.close()
