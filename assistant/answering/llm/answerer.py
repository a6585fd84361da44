"""The generative answerer: an LLM writes the answer, the verifier decides what is shown.

``stream`` yields text deltas as the model writes them, then one final ``Answer`` that
holds only the sentences that passed verification, or the extractive answer, marked,
when none did or the model failed. A verified answer must also pass the extractive
answerer's calibrated relevance gate: a small model asked what the articles never say
tends to copy a nearby sentence, which verification alone would accept.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.answering.base import AnswerRequest, cite, final_answer, refusal
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm.client import LLM_ANSWERERS, ChatStream, chat_model
from assistant.answering.llm.prompts import format_passages, load_prompts
from assistant.answering.llm.server import LocalServers
from assistant.answering.verification import SentenceVerdict, Verification, Verifier
from assistant.errors import LLMError
from assistant.text.messages import Messages
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from assistant.settings import Settings

log = logging.getLogger(__name__)

CONDENSE_MAX_TOKENS = 64
HISTORY_TURNS = 3  # turns shown to the condense prompt
HISTORY_ANSWER_CHARS = 300
LABEL = re.compile(r"^(?:독립된 질문|질문|standalone question|question)\s*[:：]\s*", re.I)


class GenerativeAnswerer:
    """Answers written by an LLM from the numbered passages, then verified.

    :param kind: "openai", "ollama" or "llamacpp".
    :param settings: the LLM settings (server, model, timeout, answer length, prompts).
    :param extractive: the fallback, and the relevance gate of verified answers.
    :param verifier: checks each generated sentence against the passages.
    :param messages: the fixed phrases (refusal, fallback notes).
    :param servers: where a local llama.cpp server is started and later stopped.
    """

    generative = True

    def __init__(
        self,
        kind: str,
        settings: Settings,
        *,
        extractive: ExtractiveAnswerer,
        verifier: Verifier,
        messages: Messages,
        servers: LocalServers,
    ) -> None:
        if kind not in LLM_ANSWERERS:
            raise ValueError(f"unknown LLM answerer {kind!r}")
        self.name = kind
        self.settings = settings
        self.extractive = extractive
        self.verifier = verifier
        self.messages = messages
        self.servers = servers
        self.prompts = load_prompts(settings.prompts_dir)
        self._models: dict[int, Any] = {}
        self._lock = threading.Lock()

    def model(self, max_tokens: int) -> Any:
        """The chat model (built, and for llamacpp its server started, on first use)."""
        with self._lock:
            if max_tokens not in self._models:
                self._models[max_tokens] = chat_model(
                    self.settings, self.name, self.servers, max_tokens=max_tokens
                )
            return self._models[max_tokens]

    def warm(self) -> None:
        """Start the local server now rather than on the first question."""
        self.model(self.settings.llm_max_tokens)

    def close(self) -> None:
        """Forget the clients; the servers are stopped by their owner (``LocalServers``)."""
        with self._lock:
            self._models.clear()

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

    def answer(self, request: AnswerRequest) -> Answer:
        """The verified Answer (the deltas of ``stream`` are dropped)."""
        return final_answer(self.stream(request))

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """Text deltas, then the verified Answer (``request.error``: the server already failed)."""
        if request.error is not None:
            yield self._fallback(request, request.error, {})
            return
        messages = self.prompts[f"answer_{request.language}"].messages(
            passages=format_passages(request.documents),
            question=request.standalone or request.question,
            refusal=self.messages.get("refusal", request.language),
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
            yield self._fallback(request, str(exc), info)
            return
        info = {"model": self.settings.llm_model, "raw": raw, **stream.stats()}
        yield self._verified(raw, request, info)

    def _verified(self, raw: str, request: AnswerRequest, info: dict[str, Any]) -> Answer:
        docs = request.documents
        checked = self.verifier.check(raw, docs)

        def refused(**extra_info: Any) -> Answer:
            return refusal(
                request.question,
                self.messages,
                request.language,
                docs,
                answerer=self.name,
                verification=checked.to_dicts(),
                generation={**info, **extra_info},
            )

        if checked.is_refusal:
            return refused()
        if not checked.supported:
            return self._fallback(request, None, info, checked)
        # Verification shows a sentence is in the passages, not that it answers the
        # question: the extractive answerer's calibrated refusal decides that case.
        asked = request.standalone or request.question
        gate = self.extractive.answer(replace(request, question=asked))
        if gate.refused:
            return refused(off_question=True)
        kept = [s for s in checked.sentences if s.kept]
        text = " ".join(_with_marker(s) for s in kept)
        dropped = len(checked.dropped)
        if dropped:
            text += "\n" + self.messages.get("unsupported_dropped", request.language, count=dropped)
        citations: dict[int, Citation] = {}
        for s in kept:
            if s.passage is not None and s.passage not in citations:
                citations[s.passage] = _citation(s, docs[s.passage - 1])
        return Answer(
            request.question,
            text,
            False,
            tuple(sorted(citations.values(), key=lambda c: c.number)),
            language=request.language,
            documents=docs,
            answerer=self.name,
            verification=checked.to_dicts(),
            generation=info,
        )

    def _fallback(
        self,
        request: AnswerRequest,
        error: str | None,
        info: dict[str, Any],
        checked: Verification | None = None,
    ) -> Answer:
        """The extractive answer, marked: the model failed (``error``) or said nothing verified."""
        result = self.extractive.answer(request)
        if error is not None:
            note = self.messages.get("llm_unavailable", request.language, error=error)
            info = {**info, "error": error}
        else:
            note = self.messages.get("fallback_note", request.language)
        return replace(
            result,
            text=f"{result.text}\n{note}",
            answerer="extractive-fallback",
            verification=checked.to_dicts() if checked else (),
            generation=info,
        )


def _with_marker(s: SentenceVerdict) -> str:
    return s.text if s.passage is None else f"{s.text} [{s.passage}]"


def _citation(s: SentenceVerdict, doc: Document) -> Citation:
    """The passage's best-supporting sentence (or the whole chunk) as the citation."""
    base = doc.metadata["start"]
    if s.evidence is not None:
        start, end = s.evidence.start, s.evidence.end
    else:
        start, end = base, base + len(doc.page_content)
    return cite(s.passage or 0, doc, start, end, s.support)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
