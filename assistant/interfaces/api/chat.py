"""OpenAI-compatible chat: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Any OpenAI client (the ``openai`` SDK, Open WebUI, LibreChat) can point its base URL at
``http://HOST:PORT/v1``. The model names the answerer (``extractive``, or an LLM answerer
this server is configured with). The messages are the conversation: the last user
message is the question, the earlier user/assistant pairs its history (a sources list
this server appended to its own replies is cut off again). The reply is the answer's
text with its [n] markers, then the sources list; the citations also come as an extra
``citations`` field (on the completion, and on the last chunk of a stream).

A stream sends the checked answer only: a generated draft that verification would
change is never shown, since an OpenAI client cannot take back text it has received.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from assistant.interfaces.api.admission import Overloaded
from assistant.interfaces.api.ask import SSE_HEADERS
from assistant.interfaces.api.context import Context
from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.api.schemas import ChatMessage, ChatRequest
from assistant.pipeline.options import AskOptions
from assistant.text.messages import Messages
from assistant.types import Answer

log = logging.getLogger(__name__)
OWNER = "korean-news-assistant"
PIECE = re.compile(r"[^\n]*\n|[^\n]+")  # streamed line by line


def conversation(messages: Sequence[ChatMessage], labels: Sequence[str]) -> tuple[str, list]:
    """(question, history) from OpenAI messages; ``ValueError`` if no user question is last.

    :param labels: the sources headings (each language) this server ends its replies with.
    """
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ValueError("the last message must be the user's")
    history, pending = [], None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text
        elif pending is not None:
            history.append((pending, strip_sources(m.text, labels)))
            pending = None
    return turns[-1].text, history


def strip_sources(reply: str, labels: Sequence[str]) -> str:
    """A reply without the sources list this server appended."""
    for label in labels:
        reply = reply.split(f"\n\n{label}:\n", 1)[0]
    return reply


def reply_text(answer: Answer, messages: Messages) -> str:
    """The answer's text, then ``Sources:`` and one line per citation."""
    if not answer.citations:
        return answer.text
    lines = [f"{messages.get('sources', answer.language)}:"]
    for c in answer.citations:
        where = c.url or c.source
        lines.append(f"[{c.number}] {c.title} — {where}")
    return answer.text + "\n\n" + "\n".join(lines)


def citations(answer: Answer) -> list[dict[str, Any]]:
    """The citations as JSON-ready dicts (the extra field)."""
    return [asdict(c) for c in answer.citations]


def router(ctx: Context) -> APIRouter:
    """The OpenAI-compatible routes over ``ctx``."""
    api = APIRouter(tags=["openai"])

    def models() -> list[str]:
        names = list(ctx.qa().answerers)
        default = ctx.settings.answerer
        return [default, *[n for n in names if n != default]]

    @api.get("/v1/models")
    async def list_models(request: Request) -> dict[str, Any]:
        """The answerers, as OpenAI models; the first is the server's default."""
        ctx.authorize(request)
        data = [{"id": n, "object": "model", "created": 0, "owned_by": OWNER} for n in models()]
        return {"object": "list", "data": data}

    @api.post("/v1/chat/completions")
    async def complete(body: ChatRequest, request: Request) -> Any:
        """Answer the conversation's last question, as an OpenAI chat completion."""
        ctx.authorize(request)
        qa = ctx.qa()
        if body.model not in models():
            names = ", ".join(models())
            message = ctx.texts.get("unknown_model", name=body.model, names=names)
            raise ApiError(404, message, code="model_not_found")
        labels = [qa.messages.get("sources", lang) for lang in ("ko", "en")]
        try:
            question, history = conversation(body.messages, labels)
        except ValueError:
            raise ApiError(400, ctx.texts.get("no_question"), code="no_question") from None
        options = AskOptions(answerer=body.model)
        head = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": body.model,
        }
        if not body.stream:
            answer = settled(await ctx.ask(question, history, options))
            message = {"role": "assistant", "content": reply_text(answer, qa.messages)}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            return {
                **head,
                "object": "chat.completion",
                "choices": [choice],
                "citations": citations(answer),
                "refused": answer.refused,
            }
        try:
            ctx.gate.check()
        except Overloaded as exc:
            raise ctx.overloaded(exc) from None
        chunks = stream_chunks(ctx, head, question, history, options)
        return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)

    return api


def settled(answer: Answer) -> Answer:
    """The answer, or the error its status means (invalid: 400, error: 503)."""
    if answer.status == "invalid":
        raise ApiError(400, answer.text, code="invalid_question")
    if answer.status == "error":
        raise ApiError(503, answer.text, code="index_unavailable")
    return answer


async def stream_chunks(
    ctx: Context, head: dict[str, Any], question: str, history: list, options: AskOptions
) -> AsyncIterator[str]:
    """The completion as OpenAI stream chunks: role, the reply line by line, the end."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        body = {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    answer = None
    try:
        async for part in ctx.stream(question, history, options):
            if isinstance(part, Answer):
                answer = part
    except Exception:
        log.exception("answering %r failed", question)
        answer = None
    qa = ctx.engine.qa
    if answer is None or qa is None:
        text, cited, refused = ctx.texts.get("error"), [], False
    else:
        text, cited, refused = reply_text(answer, qa.messages), citations(answer), answer.refused
    for piece in PIECE.findall(text):
        yield chunk({"content": piece})
    yield chunk({}, "stop", citations=cited, refused=refused)
    yield "data: [DONE]\n\n"
