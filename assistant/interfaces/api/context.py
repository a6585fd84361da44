"""What every route shares: the engine (the one ``Assistant``), settings, texts, the
admission gate, metrics, the access policy and the login throttle; and the answering
steps the routes share."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from assistant.interfaces.api.admission import Gate, Overloaded
from assistant.interfaces.api.auth import Policy
from assistant.interfaces.api.errors import ApiError
from assistant.interfaces.api.metrics import ApiMetrics
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.throttle import LoginThrottle
from assistant.pipeline.options import AskOptions, History
from assistant.settings import Settings
from assistant.text.messages import Messages
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant

log = logging.getLogger(__name__)
DONE = object()
LOADING_RETRY = "5"  # seconds: Retry-After while the model loads


@dataclass
class Context:
    """The parts of one API server.

    :param texts: the API's messages (``prompts/api.toml``).
    """

    engine: Engine
    settings: Settings
    texts: Messages
    gate: Gate
    metrics: ApiMetrics
    policy: Policy
    throttle: LoginThrottle

    @classmethod
    def build(cls, engine: Engine, settings: Settings, language: str = "en") -> Context:
        """The parts for ``settings``, over ``engine`` (loaded or still loading)."""
        texts = Messages.load(settings.prompts_dir, "api.toml", language)
        gate = Gate(settings.api_concurrency, settings.api_queue, settings.api_queue_timeout)
        policy = Policy(settings, texts)
        return cls(engine, settings, texts, gate, ApiMetrics(engine), policy, LoginThrottle())

    def qa(self) -> Assistant:
        """The Assistant, or 503 (with ``Retry-After``) while it loads or if it failed."""
        if self.engine.failed is not None:
            raise ApiError(503, self.texts.get("failed", error=self.engine.failed), code="failed")
        if self.engine.qa is None:
            headers = {"Retry-After": LOADING_RETRY}
            raise ApiError(503, self.texts.get("loading"), code="loading", headers=headers)
        return self.engine.qa

    def options(self, options: AskOptions) -> AskOptions:
        """``options`` with the answerer checked (422 naming the available ones)."""
        qa = self.qa()
        name = options.answerer
        if name is not None and name not in qa.answerers:
            names = ", ".join(qa.answerers)
            raise ApiError(422, self.texts.get("unknown_answerer", name=name, names=names))
        return options

    def overloaded(self, exc: Overloaded) -> ApiError:
        """429 with ``Retry-After`` for a full queue."""
        headers = {"Retry-After": str(exc.retry_after)}
        message = self.texts.get("busy", seconds=exc.retry_after)
        return ApiError(429, message, code="overloaded", headers=headers)

    def authorize(self, request: Request, *, admin: bool = False) -> None:
        """The access check for this request (401/403); ``guard`` made it already."""
        self.policy(request, admin=admin)

    async def ask(self, question: str, history: History, options: AskOptions) -> Answer:
        """One answer, computed in a worker thread within the admission gate."""
        qa = self.qa()
        try:
            async with self.gate.slot():
                answer = await run_in_threadpool(qa.ask, question, history, options=options)
        except Overloaded as exc:
            raise self.overloaded(exc) from None
        except Exception as exc:
            log.exception("answering %r failed", question)
            raise ApiError(500, self.texts.get("error"), code="error") from exc
        self.metrics.observe_answer(answer)
        return answer

    async def stream(
        self, question: str, history: History, options: AskOptions
    ) -> AsyncIterator[str | Answer]:
        """Text deltas as an LLM answerer writes them, then the final ``Answer``.

        Call ``gate.check()`` before starting a response: a stream that cannot get a slot
        in time ends with an error answer instead.
        """
        qa = self.qa()
        try:
            async with self.gate.slot():
                parts = await run_in_threadpool(qa.stream, question, history, options=options)
                while (part := await run_in_threadpool(next, parts, DONE)) is not DONE:
                    if isinstance(part, Answer):
                        self.metrics.observe_answer(part)
                    yield part  # type: ignore[misc]
        except Overloaded as exc:
            text = self.texts.get("busy", seconds=exc.retry_after)
            yield Answer(question=question, text=text, refused=False, status="error")


def failed_answer(question: str, texts: Messages) -> Answer:
    """What a stream ends with when answering raised."""
    return Answer(question=question, text=texts.get("error"), refused=False, status="error")
