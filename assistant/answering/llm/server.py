"""The local llama.cpp server: a GGUF file served in-process by xllamacpp on 127.0.0.1.

The server belongs to whoever started it (the answerers built for one ``Assistant``),
which stops it on ``close``; nothing is kept in module state.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import LLMError

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

# What scripts/install-llm.sh writes to DATA_DIR/llm, best first.
LOCAL_MODELS = (
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
)
CONTEXT_TOKENS = 8192  # shared by the slots: 4096 each, room for k=10 passages
PARALLEL_SLOTS = 2  # two conversations decode together; more would only queue on 2 cores


class LocalLlamaServer:
    """llama.cpp's OpenAI-compatible HTTP server, in this process, on 127.0.0.1."""

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise LLMError("the llamacpp answerer needs xllamacpp: pip install xllamacpp") from exc
        if not path.is_file():
            raise LLMError(f"no model file at {path}; run scripts/install-llm.sh")
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise LLMError(f"{path} is not a GGUF model file")
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = CONTEXT_TOKENS
        params.n_parallel = PARALLEL_SLOTS
        threads = threads or os.cpu_count() or 2
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.cpuparams.poll = 0  # cores are shared: sleep, don't spin, while waiting
        params.cpuparams_batch.poll = 0
        params.port = 0  # any free port; loopback is llama.cpp's default host
        params.verbosity = -1
        started = time.perf_counter()
        self._server = xllamacpp.Server(params)
        self.address: str = self._server.listening_address
        self.path = path
        log.info(
            "llama.cpp server for %s at %s (%.1f s)",
            path.name,
            self.address,
            time.perf_counter() - started,
        )

    @property
    def base_url(self) -> str:
        """The server's OpenAI-compatible endpoint (``…/v1``) on 127.0.0.1."""
        return self.address.rstrip("/") + "/v1"

    def stop(self) -> None:
        """Stop the server: xllamacpp has no stop call; its server ends when released."""
        self._server = None
        gc.collect()


class LocalServers:
    """The llama.cpp servers one ``Assistant`` started, one per model file, stopped together."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._servers: dict[Path, LocalLlamaServer] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> LocalLlamaServer:
        """The server for this model file, started on first use (it loads in seconds)."""
        key = Path(path).resolve()
        with self._lock:
            if key not in self._servers:
                self._servers[key] = LocalLlamaServer(key, threads=self._threads)
            return self._servers[key]

    def close(self) -> None:
        """Stop every server started here."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()


def local_model_path(settings: Settings) -> Path:
    """``llm_model_path``, else the best model ``scripts/install-llm.sh`` assembled."""
    if settings.llm_model_path is not None:
        return Path(settings.llm_model_path)
    folder = settings.data_dir / "llm"
    for name in LOCAL_MODELS:
        if (folder / name).is_file():
            return folder / name
    raise LLMError(
        f"no local model: set llm_model_path (ASSISTANT_LLM_MODEL_PATH) or run "
        f"scripts/install-llm.sh to assemble one under {folder}"
    )
