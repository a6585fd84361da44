"""``POST /api/ask``: the whole ``Answer`` as JSON, or (``?stream=true``) server-sent events.

The stream is ``event: token`` with ``{"text": …}`` for each piece of text as an LLM
answerer writes it (the extractive answerer writes its answer as one piece), then
``event: answer`` with the final, checked answer: what a client keeps. An empty or too
long question is 422 with the assistant's own message; an index that cannot be reached
is 503.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from assistant.interfaces.api.admission import Overloaded
from assistant.interfaces.api.context import Context, failed_answer
from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.api.schemas import AnswerOut, AskRequest
from assistant.types import Answer

log = logging.getLogger(__name__)
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def checked(answer: Answer) -> Answer:
    """The answer, or the ApiError its status means (invalid: 422, error: 503)."""
    if answer.status == "invalid":
        raise ApiError(422, answer.text, code="invalid_question")
    if answer.status == "error":
        raise ApiError(503, answer.text, code="index_unavailable")
    return answer


def sse(event: str, data: object) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def router(ctx: Context) -> APIRouter:
    """The /api/ask route over ``ctx``."""
    api = APIRouter(tags=["answers"])

    @api.post(
        "/api/ask",
        response_model=AnswerOut,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def ask(body: AskRequest, request: Request, stream: bool = False) -> object:
        """Answer a question with citations; ``?stream=true`` for server-sent events."""
        ctx.authorize(request)
        options = ctx.options(body.options())
        if not stream:
            return AnswerOut.of(checked(await ctx.ask(body.question, body.pairs(), options)))
        try:
            ctx.gate.check()
        except Overloaded as exc:
            raise ctx.overloaded(exc) from None

        async def events() -> AsyncIterator[str]:
            sent = False
            try:
                async for part in ctx.stream(body.question, body.pairs(), options):
                    if isinstance(part, str):
                        sent = True
                        yield sse("token", {"text": part})
                        continue
                    if not sent and part.text:
                        yield sse("token", {"text": part.text})
                    yield sse("answer", AnswerOut.of(part).model_dump(mode="json"))
            except Exception:
                log.exception("answering %r failed", body.question)
                failed = failed_answer(body.question, ctx.texts)
                yield sse("answer", AnswerOut.of(failed).model_dump(mode="json"))

        return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)

    return api
