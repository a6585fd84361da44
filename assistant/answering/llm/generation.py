"""Generative answerers: an LLM writes the answer, ``verification`` decides what is shown.

Three ways to reach a model, all through LangChain's ``ChatOpenAI`` (one client, one
streaming code path, no extra dependency):

- ``openai``: any OpenAI-compatible server at ``llm_base_url`` (OpenAI itself when unset);
  the key comes from ``ASSISTANT_LLM_API_KEY`` or ``OPENAI_API_KEY``.
- ``ollama``: Ollama's OpenAI-compatible ``/v1`` endpoint (``llm_base_url``, default
  ``http://127.0.0.1:11434/v1``); langchain-ollama is not needed for that.
- ``llamacpp``: a local GGUF file (``llm_model_path``, default: the best model that
  ``scripts/install-llm.sh`` assembled under ``DATA_DIR/llm``) served in-process by
  xllamacpp's llama.cpp server on 127.0.0.1, started on first use and shared by every
  answerer of the process.

Every request runs under one overall deadline (``llm_timeout``): the stream is read in a
worker thread and the caller waits on a queue, so a server that accepts and never
answers, drips tokens forever, or returns garbage ends in an ``LLMError`` in time; the
answerer then gives the extractive answer with a message saying why. Token streams are
passed on as they arrive; the final ``Answer`` holds only verified sentences.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.documents import Document

from assistant.answering.extractive import ExtractiveAnswerer, refusal
from assistant.answering.verification import SentenceVerdict, Verification, Verifier
from assistant.errors import LLMError
from assistant.text.messages import Texts
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from assistant.settings import Settings

log = logging.getLogger(__name__)

LLM_ANSWERERS = ("openai", "ollama", "llamacpp")
OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"
# What scripts/install-llm.sh writes to DATA_DIR/llm, best first.
LOCAL_MODELS = (
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
)
CONTEXT_TOKENS = 8192  # shared by the slots: 4096 each, room for k=10 passages
PARALLEL_SLOTS = 2  # two conversations decode together; more would only queue on 2 cores
CONDENSE_MAX_TOKENS = 64
HISTORY_TURNS = 3  # turns shown to the condense prompt
HISTORY_ANSWER_CHARS = 300
LABEL = re.compile(r"^(?:독립된 질문|질문|standalone question|question)\s*[:：]\s*", re.I)


def configured_answerers(settings: Settings) -> list[str]:
    """Answerers this configuration can offer: extractive, plus each LLM it points at."""
    names = ["extractive"]
    if settings.answerer != "extractive":
        names.append(settings.answerer)
    if settings.llm_model_path is not None or settings.answerer == "llamacpp":
        names.append("llamacpp")
    if settings.llm_base_url and settings.answerer != "ollama":
        names.append("openai")
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- prompts


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt file: system text, a line ``---``, then the user message template."""

    system: str
    user: str

    @classmethod
    def load(cls, path: Path) -> Prompt:
        text = path.read_text(encoding="utf-8")
        system, sep, user = text.partition("\n---\n")
        if not sep:
            raise ValueError(f"{path}: no '---' line between system text and user template")
        return cls(system.strip(), user.strip())

    def messages(self, **values: str) -> list[tuple[str, str]]:
        """Placeholders are replaced literally: article text may hold any braces."""
        system, user = self.system, self.user
        for key, value in values.items():
            system = system.replace("{" + key + "}", value)
            user = user.replace("{" + key + "}", value)
        return [("system", system), ("user", user)]


def load_prompts(prompts_dir: Path) -> dict[str, Prompt]:
    return {
        f"{kind}_{lang}": Prompt.load(Path(prompts_dir) / f"{kind}_{lang}.md")
        for kind in ("answer", "condense")
        for lang in ("ko", "en")
    }


def format_passages(docs: Sequence[Document]) -> str:
    """Passages numbered 1..k in rank order; the numbers are the citations' numbers."""
    parts = []
    for n, doc in enumerate(docs, start=1):
        m = doc.metadata
        head = f"[{n}] {m.get('title', '')}".rstrip()
        if m.get("published"):
            head += f" ({m['published']})"
        parts.append(f"{head}\n{doc.page_content.strip()}")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- llama.cpp


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
        return self.address.rstrip("/") + "/v1"


_servers: dict[Path, LocalLlamaServer] = {}
_servers_lock = threading.Lock()


def local_server(path: Path, *, threads: int | None = None) -> LocalLlamaServer:
    """The one server for this model file, started on first use (it loads in seconds)."""
    key = Path(path).resolve()
    with _servers_lock:
        if key not in _servers:
            _servers[key] = LocalLlamaServer(key, threads=threads)
        return _servers[key]


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


# --------------------------------------------------------------------------- clients


def endpoint(settings: Settings, kind: str) -> tuple[str | None, str]:
    """(base URL, API key) for an answerer kind; local servers get a placeholder key."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if kind == "openai":
        key = key or os.environ.get("OPENAI_API_KEY")
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
        return local_server(local_model_path(settings)).base_url, "local"
    raise ValueError(f"unknown LLM answerer {kind!r}")


def chat_model(settings: Settings, kind: str, *, max_tokens: int) -> ChatOpenAI:
    """A LangChain chat model for ``kind``: greedy, no retries, one timeout for all waits."""
    import httpx
    from langchain_openai import ChatOpenAI

    base_url, key = endpoint(settings, kind)
    timeout = float(settings.llm_timeout)
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=base_url,
        api_key=key,
        temperature=0.0,
        max_tokens=max_tokens,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        max_retries=0,  # a retry would double the wait the user already sits through
        stream_usage=True,
    )


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
        tokens = int(self.usage.get("output_tokens") or self.chunks)
        decode = self.seconds - (self.first_token_s or 0.0)
        return {
            "first_token_s": round(self.first_token_s, 3) if self.first_token_s else None,
            "seconds": round(self.seconds, 3),
            "prompt_tokens": self.usage.get("input_tokens"),
            "output_tokens": tokens,
            "tokens_per_s": round((tokens - 1) / decode, 2) if tokens > 1 and decode > 0 else None,
        }


# --------------------------------------------------------------------------- answerer


class GenerativeAnswerer:
    """Answers written by an LLM from the numbered passages, then verified.

    ``stream`` yields text deltas as the model writes them, then one final ``Answer``
    holding only the sentences that passed verification (or the extractive answer, marked,
    when none did or the model failed); ``answer`` returns that final Answer.
    """

    generative = True

    def __init__(
        self,
        kind: str,
        settings: Settings,
        *,
        extractive: ExtractiveAnswerer,
        verifier: Verifier,
        texts: Texts,
    ) -> None:
        if kind not in LLM_ANSWERERS:
            raise ValueError(f"unknown LLM answerer {kind!r}")
        self.name = kind
        self.settings = settings
        self.extractive = extractive
        self.verifier = verifier
        self.texts = texts
        self.prompts = load_prompts(settings.prompts_dir)
        self._models: dict[int, Any] = {}
        self._lock = threading.Lock()

    def model(self, max_tokens: int) -> Any:
        """The chat model (built, and for llamacpp its server started, on first use)."""
        with self._lock:
            if max_tokens not in self._models:
                self._models[max_tokens] = chat_model(
                    self.settings, self.name, max_tokens=max_tokens
                )
            return self._models[max_tokens]

    def warm(self) -> None:
        """Start the local server now rather than on the first question."""
        self.model(self.settings.llm_max_tokens)

    # ---- follow-ups -------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        """The follow-up rewritten as a standalone question ("" when the rewrite is unusable).

        Raises ``LLMError`` when the server fails, so the caller can skip asking it again.
        """
        q, a = ("질문", "답") if language == "ko" else ("Q", "A")
        lines = []
        for prev_q, prev_a in list(history)[-HISTORY_TURNS:]:
            lines.append(f"{q}: {prev_q}\n{a}: {_short(prev_a, HISTORY_ANSWER_CHARS)}")
        messages = self.prompts[f"condense_{language}"].messages(
            history="\n".join(lines), question=question
        )
        stream = ChatStream(self.model(CONDENSE_MAX_TOKENS), messages, self.settings.llm_timeout)
        text = "".join(stream)
        line = next((x.strip() for x in text.splitlines() if x.strip()), "")
        line = LABEL.sub("", line).strip("\"'“”‘’` ")
        if not line or len(line) > 3 * len(question) + 200:
            return ""
        return line

    # ---- answers ----------------------------------------------------------------------

    def answer(
        self,
        question: str,
        docs: list[Document],
        query_vector: np.ndarray,
        language: str,
        **kwargs: Any,
    ) -> Answer:
        final = None
        for part in self.stream(question, docs, query_vector, language, **kwargs):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        docs: list[Document],
        query_vector: np.ndarray,
        language: str,
        *,
        standalone: str | None = None,
        error: str | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas, then the verified Answer (``error``: the server already failed)."""
        if error is not None:
            yield self._fallback(question, docs, query_vector, language, error, {})
            return
        messages = self.prompts[f"answer_{language}"].messages(
            passages=format_passages(docs),
            question=standalone or question,
            refusal=self.texts.get("refusal", language),
        )
        raw = ""
        stream: ChatStream | None = None
        try:
            stream = ChatStream(
                self.model(self.settings.llm_max_tokens), messages, self.settings.llm_timeout
            )
            for delta in stream:
                raw += delta
                yield delta
        except LLMError as exc:
            log.warning("%s answerer failed: %s", self.name, exc)
            info = {"raw": raw, **(stream.stats() if stream else {})}
            yield self._fallback(question, docs, query_vector, language, str(exc), info)
            return
        info = {"model": self.settings.llm_model, "raw": raw, **stream.stats()}
        yield self._verified(raw, question, docs, query_vector, language, info, standalone)

    def _verified(
        self,
        raw: str,
        question: str,
        docs: list[Document],
        query_vector: np.ndarray,
        language: str,
        info: dict[str, Any],
        standalone: str | None = None,
    ) -> Answer:
        checked = self.verifier.check(raw, docs)

        def refused(**extra_info: Any) -> Answer:
            return refusal(
                question,
                self.texts,
                language,
                docs,
                answerer=self.name,
                verification=tuple(checked.to_dicts()),
                generation={**info, **extra_info},
            )

        if checked.is_refusal:
            return refused()
        if not checked.supported:
            return self._fallback(question, docs, query_vector, language, None, info, checked)
        # Verification shows a sentence is in the passages, not that it answers the
        # question: a small model asked something the articles never say tends to copy a
        # nearby sentence. The extractive answerer's calibrated refusal decides that case.
        gate = self.extractive.answer(standalone or question, docs, query_vector, language)
        if gate.refused:
            return refused(off_question=True)
        kept = [s for s in checked.sentences if s.kept]
        text = " ".join(_with_marker(s) for s in kept)
        dropped = len(checked.dropped)
        if dropped:
            text += "\n" + self.texts.get("unsupported_dropped", language, count=dropped)
        citations: dict[int, Citation] = {}
        for s in kept:
            if s.passage is not None and s.passage not in citations:
                citations[s.passage] = _citation(s, docs[s.passage - 1])
        return Answer(
            question,
            text,
            False,
            tuple(sorted(citations.values(), key=lambda c: c.number)),
            language=language,
            documents=tuple(docs),
            answerer=self.name,
            verification=tuple(checked.to_dicts()),
            generation=info,
        )

    def _fallback(
        self,
        question: str,
        docs: list[Document],
        query_vector: np.ndarray,
        language: str,
        error: str | None,
        info: dict[str, Any],
        checked: Verification | None = None,
    ) -> Answer:
        """The extractive answer, marked: the model failed (``error``) or said nothing verified."""
        result = self.extractive.answer(question, docs, query_vector, language)
        if error is not None:
            note = self.texts.get("llm_unavailable", language, error=error)
            info = {**info, "error": error}
        else:
            note = self.texts.get("fallback_note", language)
        return replace(
            result,
            text=f"{result.text}\n{note}",
            answerer="extractive-fallback",
            verification=tuple(checked.to_dicts()) if checked else (),
            generation=info,
        )


def _with_marker(s: SentenceVerdict) -> str:
    if s.passage is None:
        return s.text
    return f"{s.text} [{s.passage}]"


def _citation(s: SentenceVerdict, doc: Document) -> Citation:
    m = doc.metadata
    base = m["start"]
    if s.evidence is not None:
        start, end = s.evidence.start, s.evidence.end
    else:
        start, end = base, base + len(doc.page_content)
    return Citation(
        number=s.passage or 0,
        doc_id=m["doc_id"],
        title=m["title"],
        source=m["source"],
        text=doc.page_content,
        start=start,
        end=end,
        score=s.support,
        sentence=doc.page_content[start - base : end - base],
        chunk_id=m["chunk_id"],
        chunk_start=base,
        url=m.get("url"),
        published=m.get("published"),
    )


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_answerers(
    settings: Settings, extractive: ExtractiveAnswerer, verifier: Verifier, texts: Texts
) -> dict[str, Any]:
    """Every answerer the configuration offers, by name; LLM clients connect on first use."""
    out: dict[str, Any] = {"extractive": extractive}
    for name in configured_answerers(settings):
        if name != "extractive":
            out[name] = GenerativeAnswerer(
                name, settings, extractive=extractive, verifier=verifier, texts=texts
            )
    return out
