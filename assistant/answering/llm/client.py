"""Talking to an OpenAI-compatible chat server: endpoints, the LangChain client, one deadline.

Three ways to reach a model, all through LangChain's ``ChatOpenAI`` (one client, one
streaming code path): ``openai`` (any OpenAI-compatible server at ``llm_base_url``;
OpenAI itself when unset), ``ollama`` (its ``/v1`` endpoint) and ``llamacpp`` (the local
server). Every request runs under one overall deadline (``llm_timeout``): the stream is
read in a worker thread and the caller waits on a queue, so a server that accepts and
never answers, drips tokens forever, or returns garbage ends in an ``LLMError`` in time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.answering.llm.server import LocalServers, local_model_path
from assistant.errors import LLMError
from assistant.models.reader_weights import reader_available

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from assistant.settings import Settings

LLM_ANSWERERS = ("openai", "ollama", "llamacpp")
OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"


def configured_answerers(settings: Settings) -> list[str]:
    """Answerers this configuration can offer: the reader (when its weights are
    installed), extractive, plus each LLM it points at."""
    names = ["extractive"]
    if reader_available():
        names.append("reader")
    if settings.answerer not in ("extractive", "reader"):
        names.append(settings.answerer)
    if settings.llm_model_path is not None or settings.answerer == "llamacpp":
        names.append("llamacpp")
    if settings.llm_base_url and settings.answerer != "ollama":
        names.append("openai")
    return list(dict.fromkeys(names))


def endpoint(settings: Settings, kind: str, servers: LocalServers) -> tuple[str | None, str]:
    """(base URL, API key) for an answerer kind; local servers get a placeholder key."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if kind == "openai":
        if not key and settings.openai_api_key:
            key = settings.openai_api_key.get_secret_value()
        if not key and not settings.llm_base_url:
            raise LLMError(
                "the openai answerer needs an API key (ASSISTANT_LLM_API_KEY or "
                "OPENAI_API_KEY) or a local server address (ASSISTANT_LLM_BASE_URL)"
            )
        return settings.llm_base_url, key or "not-needed"
    if kind == "ollama":
        url = (settings.llm_base_url or OLLAMA_BASE_URL).rstrip("/")
        return (url if url.endswith("/v1") else url + "/v1"), key or "ollama"
    if kind == "llamacpp":
        return servers.get(local_model_path(settings)).base_url, "local"
    raise ValueError(f"unknown LLM answerer {kind!r}")


def chat_model(
    settings: Settings, kind: str, servers: LocalServers, *, max_tokens: int
) -> ChatOpenAI:
    """A LangChain chat model for ``kind``: greedy, no retries, one timeout for all waits.

    The timeout is a plain number of seconds, which every OpenAI SDK accepts (its own
    ``Timeout`` class has moved between httpx and httpx2); ``ChatStream`` enforces the
    overall deadline anyway.

    :raises LLMError: the client could not be built (a missing key, an SDK that refuses
        the arguments, a local server that does not start), so callers fall back.
    """
    try:
        from langchain_openai import ChatOpenAI

        base_url, key = endpoint(settings, kind, servers)
        return ChatOpenAI(
            model=settings.llm_model,
            base_url=base_url,
            api_key=key,
            temperature=0.0,
            max_tokens=max_tokens,
            timeout=float(settings.llm_timeout),
            max_retries=0,  # a retry would double the wait the user already sits through
            stream_usage=True,
        )
    except LLMError:
        raise
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise LLMError(f"the {kind} client could not be built ({reason})") from exc


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short reason a person can act on, without a traceback."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"no reply within {timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        return f"cannot connect ({cause or exc})"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {str(exc.message)[:200]}"
    if isinstance(exc, LLMError):
        return str(exc)
    return f"the reply was not a chat completion ({type(exc).__name__}: {str(exc)[:200]})"


class ChatStream:
    """Text deltas of one chat completion, under one overall deadline.

    The LangChain stream runs in a daemon thread that hands chunks over a queue; the
    caller never waits past the deadline however the server behaves. Afterwards
    ``usage``, ``first_token_s`` and ``seconds`` describe the call.
    """

    def __init__(self, model: Any, messages: list[tuple[str, str]], timeout: float) -> None:
        self.model = model
        self.messages = messages
        self.timeout = timeout
        self.usage: dict[str, Any] = {}
        self.first_token_s: float | None = None
        self.seconds = 0.0
        self.chunks = 0

    def __iter__(self) -> Iterator[str]:
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for chunk in self.model.stream(self.messages):
                    inbox.put(("chunk", chunk))
                    if stop.is_set():
                        return  # leaving the loop closes the HTTP response
                inbox.put(("end", None))
            except BaseException as exc:
                inbox.put(("error", exc))

        started = time.perf_counter()
        deadline = started + self.timeout
        threading.Thread(target=work, name="llm-stream", daemon=True).start()
        try:
            while True:
                remaining = deadline - time.perf_counter()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = inbox.get(timeout=remaining)
                except queue.Empty:
                    raise LLMError(f"no complete reply within {self.timeout:g} s") from None
                if kind == "error":
                    raise LLMError(describe_error(value, self.timeout)) from value
                if kind == "end":
                    break
                if getattr(value, "usage_metadata", None):
                    self.usage = dict(value.usage_metadata)
                text = value.content if isinstance(value.content, str) else ""
                if text:
                    self.chunks += 1
                    if self.first_token_s is None:
                        self.first_token_s = time.perf_counter() - started
                    yield text
        finally:
            stop.set()
            self.seconds = time.perf_counter() - started

    def stats(self) -> dict[str, Any]:
        """Timing and token counts of the finished call (for ``Answer.generation``)."""
        tokens = int(self.usage.get("output_tokens") or self.chunks)
        decode = self.seconds - (self.first_token_s or 0.0)
        return {
            "first_token_s": round(self.first_token_s, 3) if self.first_token_s else None,
            "seconds": round(self.seconds, 3),
            "prompt_tokens": self.usage.get("input_tokens"),
            "output_tokens": tokens,
            "tokens_per_s": round((tokens - 1) / decode, 2) if tokens > 1 and decode > 0 else None,
        }
