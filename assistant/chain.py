"""The LCEL chain: validate → retrieve → answer, over a plain state dict.

Input: ``{"question": str, "history": [(question, answer), ...], "k": int?, "filters": Filters?,
"retrieve_k": int?}`` (``retrieve_k`` ranks more passages than the answerer reads, for evaluation).
Output: an ``Answer``. Each step is a named ``RunnableLambda`` so traces show the stages,
and ``invoke``/``stream``/``batch``/``ainvoke`` come from LangChain.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answering import Answer
from assistant.korean import KoreanAnalyzer
from assistant.store import StoreUnavailable
from assistant.texts import language_of

if TYPE_CHECKING:
    from assistant.service import Assistant

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
        query = retrieval_query(state["question"], state["history"], assistant.analyzer)
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

    def answer(state: dict[str, Any]) -> Answer:
        if "answer" in state:
            result: Answer = state["answer"]
            result.timings = state["timings"]
            return result
        started = time.perf_counter()
        result = assistant.answerer.answer(
            state["question"], state["documents"], state["query_vector"], state["language"]
        )
        state["timings"]["answer"] = time.perf_counter() - started
        result.timings = state["timings"]
        result.documents = state["ranking"]  # the answerer saw the first k of these
        return result

    return (
        RunnableLambda(validate, name="validate")
        | RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(answer, name="answer")
    ).with_config(run_name="news_qa")


def _invalid(question: str, message: str, language: str) -> Answer:
    return Answer(question, message, True, status="invalid", language=language)
