"""The API's request and response bodies (pydantic), and their mapping to the service's types.

Requests are strict (``extra="forbid"`` on /api, so a misspelt option is an error rather
than silently ignored; numbers, strings and flags are never converted: ``"k": "3"`` or
``"k": true`` is a 422, as ``AskOptions`` refuses them in Python); OpenAI requests allow
the fields this server does not use (temperature, max_tokens, …), as OpenAI clients
always send some.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from assistant.pipeline.options import MAX_K, AskOptions
from assistant.retrieval.filters import Filters
from assistant.types import Answer

Strict = ConfigDict(extra="forbid")


class FiltersIn(BaseModel):
    """Which documents a question may be answered from; empty means all."""

    model_config = Strict
    sources: list[StrictStr] = Field(default_factory=list, description="Source file names")
    since: date | None = Field(None, description="Published on or after (YYYY-MM-DD)")
    until: date | None = Field(None, description="Published on or before (YYYY-MM-DD)")

    def to_filters(self) -> Filters:
        """As the retrieval layer's ``Filters``."""
        return Filters(tuple(self.sources), self.since, self.until)


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = Strict
    question: StrictStr
    answer: StrictStr


class AskRequest(BaseModel):
    """``POST /api/ask``: a question, the conversation so far, and per-request options."""

    model_config = Strict
    question: StrictStr = Field(description="The question, Korean or English")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first")
    k: StrictInt | None = Field(None, ge=1, le=MAX_K, description="Passages the answerer reads")
    filters: FiltersIn | None = None
    answerer: StrictStr | None = Field(None, description="extractive, openai, ollama or llamacpp")

    def options(self) -> AskOptions:
        """The per-request options."""
        filters = self.filters.to_filters() if self.filters else None
        return AskOptions(k=self.k, filters=filters, answerer=self.answerer)

    def pairs(self) -> list[tuple[str, str]]:
        """The history as (question, answer) pairs."""
        return [(t.question, t.answer) for t in self.history]


class CitationOut(BaseModel):
    """A cited sentence: ``start``/``end`` are its offsets in the document's text."""

    number: int
    doc_id: str
    title: str
    source: str
    sentence: str
    start: int
    end: int
    chunk_id: str
    chunk_start: int
    text: str = Field(description="The chunk the sentence was found in")
    score: float
    url: str | None = None
    published: str | None = None
    highlight: tuple[int, int] | None = Field(
        None, description="The short answer's offsets in the document, inside the sentence"
    )


class AnswerOut(BaseModel):
    """The whole answer: text with [n] markers, citations, timings and who answered."""

    question: str
    text: str
    short_answer: str = Field(
        "", description="The name/number/date/place that answers, as in citation 1 ('' if none)"
    )
    relevance: float | None = Field(
        None, description="The extractive answerer's 0..1 estimate that it found the answer"
    )
    refused: bool
    status: Literal["answered", "refused", "invalid", "error"]
    language: str
    answerer: str
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    retrieved: list[dict[str, Any]] = Field(default_factory=list)
    verification: list[dict[str, Any]] = Field(default_factory=list)
    generation: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        """From the service's ``Answer``."""
        data = answer.to_dict()
        return cls(
            question=answer.question,
            text=answer.text,
            short_answer=answer.short_answer,
            relevance=answer.relevance,
            refused=answer.refused,
            status=answer.status,  # type: ignore[arg-type]
            language=answer.language,
            answerer=answer.answerer,
            citations=[CitationOut(**asdict(c)) for c in answer.citations],
            timings_ms=data["timings_ms"],
            retrieved=data["retrieved"],
            verification=list(answer.verification),
            generation=answer.generation,
        )


class DocumentOut(BaseModel):
    """One indexed document."""

    doc_id: str
    title: str
    source: str
    url: str | None = None
    published: str | None = None
    chunks: int


class DocumentPage(BaseModel):
    """``GET /api/documents``: one page, and how many there are in all."""

    total: int
    offset: int
    limit: int
    documents: list[DocumentOut]


class IngestOut(BaseModel):
    """What an upload did: articles new/changed/unchanged, files kept, skipped, warned."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    files: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    stored: list[str] = Field(default_factory=list, description="Names kept in uploads/")
    versions: list[str] = Field(default_factory=list, description="Renamed as new versions")
    rejected: list[str] = Field(default_factory=list, description="Files of other types")
    warnings: list[str] = Field(default_factory=list)


class Deleted(BaseModel):
    """``DELETE /api/documents/{id}``."""

    doc_id: str
    file_removed: bool = Field(description="The uploaded file held only this document")


class Health(BaseModel):
    """``GET /healthz``."""

    status: Literal["ready", "loading", "failed", "unavailable"]
    documents: int | None = None
    chunks: int | None = None
    detail: str | None = None


# ---------------------------------------------------------------------------- OpenAI


class ContentPart(BaseModel):
    """A part of a message's content; only text parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One chat message as OpenAI clients send it."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``; the model names the answerer (see ``/v1/models``)."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False
