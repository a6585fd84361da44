"""The LCEL chain: validate → retrieve → answer, over a plain state dict.

Input: ``{"question": str, "history": [(question, answer), ...], "k": int?, "filters": Filters?,
"retrieve_k": int?}`` (``retrieve_k`` ranks more passages than the answerer reads, for evaluation).
Output: an ``Answer``. Each step is a named runnable so traces show the stages, and
``invoke``/``stream``/``batch``/``ainvoke`` come from LangChain.

Streaming protocol: ``chain.stream(inputs)`` yields zero or more ``str`` chunks — the text
an LLM answerer writes, token by token, as it arrives — then exactly one ``Answer``, always
last. The Answer's ``text`` is what to show in the end: it holds only the generated
sentences that passed verification (or the extractive answer, marked, when none did or
the model failed), so it may differ from the streamed chunks joined. The extractive
answerer yields the Answer alone. ``astream`` yields the final Answer only.

With an LLM answerer, a follow-up is rewritten into a standalone question (its condense
prompt) before retrieval, and that question is also what the answer prompt asks; without
one, ``retrieval_query``'s heuristic is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from assistant.errors import LLMError, StoreUnavailable
from assistant.text.korean import KoreanAnalyzer
from assistant.text.messages import language_of
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant

History = Sequence[tuple[str, str]]


def retrieval_query(question: str, history: History, analyzer: KoreanAnalyzer) -> str:
    """Carry the previous question into a follow-up that leans on it ("그는 …?").

    A question that names no subject of its own (a pronoun, or almost no content words)
    is searched together with the last question; one that stands alone is left alone.
    """
    if not history or not analyzer.anaphoric(question):
        return question
    previous = history[-1][0]
    return f"{previous} {question}"


def _history(value: Any) -> list[tuple[str, str]]:
    turns = []
    for turn in value or []:
        if isinstance(turn, dict):  # {"question":…, "answer":…} or chat-style messages
            turns.append((str(turn.get("question", "")), str(turn.get("answer", ""))))
        else:
            q, a = turn
            turns.append((str(q), str(a)))
    return turns


def build_chain(assistant: Assistant) -> Runnable[dict[str, Any], Answer]:
    settings, texts = assistant.settings, assistant.texts

    def validate(inputs: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        question = str(inputs.get("question") or "").strip()
        language = language_of(question) if question else "ko"
        state = {**inputs, "question": question, "language": language, "timings": {}}
        state["history"] = _history(inputs.get("history"))
        if not question:
            state["answer"] = _invalid(question, texts.get("empty_question", language), language)
        elif len(question) > settings.max_question_chars:
            message = texts.get(
                "question_too_long",
                language,
                length=len(question),
                limit=settings.max_question_chars,
            )
            state["answer"] = _invalid(question[:200] + "…", message, language)
        return state

    def retrieve(state: dict[str, Any]) -> dict[str, Any]:
        if "answer" in state:
            return state
        started = time.perf_counter()
        query = _standalone(state) or retrieval_query(
            state["question"], state["history"], assistant.analyzer
        )
        try:
            vector = assistant.embedder.embed_queries([query])[0]
            k = state.get("k") or settings.k
            ranking = assistant.search.search(
                query,
                k=max(k, state.get("retrieve_k") or 0),
                filters=state.get("filters"),
                query_vector=vector,
            )
            docs = ranking[:k]
        except StoreUnavailable as exc:
            message = texts.get("store_unavailable", state["language"], error=exc)
            state["answer"] = Answer(
                state["question"], message, True, status="error", language=state["language"]
            )
            return state
        state.update(query=query, query_vector=vector, documents=docs, ranking=ranking)
        state["timings"]["retrieve"] = time.perf_counter() - started
        if not docs:
            state["answer"] = Answer(
                state["question"],
                texts.get("empty_index", state["language"]),
                True,
                status="refused",
                language=state["language"],
            )
        return state

    def _standalone(state: dict[str, Any]) -> str:
        """An LLM's standalone rewrite of a follow-up ("" when there is none to make)."""
        condense = getattr(assistant.answerer, "condense", None)
        if not state["history"] or condense is None:
            return ""
        started = time.perf_counter()
        try:
            rewritten = condense(state["question"], state["history"], state["language"])
        except LLMError as exc:  # the answer step will not ask the same server again
            state["llm_error"] = str(exc)
            rewritten = ""
        state["timings"]["condense"] = time.perf_counter() - started
        state["standalone"] = rewritten
        return rewritten

    def answer(state: dict[str, Any]) -> Answer:
        if "answer" in state:
            return replace(state["answer"], timings=state["timings"])
        if getattr(assistant.answerer, "stream", None) is not None:
            *_, final = stream_answer(iter([state]))  # the same path as streaming
            return final
        started = time.perf_counter()
        result = assistant.answerer.answer(
            state["question"], state["documents"], state["query_vector"], state["language"]
        )
        return _finish(state, result, started)

    def stream_answer(states: Iterator[dict[str, Any]]) -> Iterator[str | Answer]:
        state: dict[str, Any] = {}
        for item in states:  # the previous step hands over one state
            state = item
        generate = getattr(assistant.answerer, "stream", None)
        if "answer" in state or generate is None:
            yield answer(state)
            return
        started = time.perf_counter()
        for part in generate(
            state["question"],
            state["documents"],
            state["query_vector"],
            state["language"],
            standalone=state.get("standalone") or None,
            error=state.get("llm_error"),
        ):
            yield _finish(state, part, started) if isinstance(part, Answer) else part

    return (
        RunnableLambda(validate, name="validate")
        | RunnableLambda(retrieve, name="retrieve")
        | _AnswerStep(answer, stream_answer)
    ).with_config(run_name="news_qa")


def _finish(state: dict[str, Any], result: Answer, started: float) -> Answer:
    state["timings"]["answer"] = time.perf_counter() - started
    # the answerer saw the first k of the ranking
    return replace(result, timings=state["timings"], documents=tuple(state["ranking"]))


class _AnswerStep(Runnable[dict[str, Any], Answer]):
    """The answer stage: ``invoke`` gives the Answer; ``stream``/``transform`` pass an LLM
    answerer's text chunks on first (a ``RunnableLambda`` would stream only its result)."""

    name = "answer"

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], Answer],
        stream: Callable[[Iterator[dict[str, Any]]], Iterator[str | Answer]],
    ) -> None:
        self._answer = answer
        self._stream = stream

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        return self._call_with_config(self._answer, input, config)

    def transform(
        self,
        input: Iterator[dict[str, Any]],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Iterator[str | Answer]:  # type: ignore[override]
        yield from self._transform_stream_with_config(input, self._stream, config)

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[str | Answer]:  # type: ignore[override]
        yield from self.transform(iter([input]), config, **kwargs)


def _invalid(question: str, message: str, language: str) -> Answer:
    return Answer(question, message, True, status="invalid", language=language)
