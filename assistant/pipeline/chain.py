"""The LCEL chain: validate → retrieve → answer, over a plain state dict.

Input: ``{"question": str, "history": [(question, answer), ...], "options": AskOptions?}``;
the options may also come as flat keys (``k``, ``filters``, ``answerer``, ``retrieve_k``).
Output: an ``Answer``. Each step is a named runnable so traces show the stages, and
``invoke``/``stream``/``batch``/``ainvoke`` come from LangChain's public API.

Streaming protocol: ``chain.stream(inputs)`` yields zero or more ``str`` chunks (the text
an LLM answerer writes, as it arrives), then exactly one ``Answer``, always last. The
Answer's ``text`` is what to show in the end: only the generated sentences that passed
verification (or the extractive answer, marked), so it may differ from the chunks joined.

With an LLM answerer, a follow-up is rewritten into a standalone question (its condense
prompt) before retrieval; without one, ``retrieval_query``'s heuristic is used. Either way
a follow-up's search favours the documents the previous answer quoted (``followup``), and
the answerer reads only their passages when the ranking holds any.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answering.base import Answerer, AnswerRequest, refusal
from assistant.errors import LLMError, StoreUnavailable
from assistant.models.embedder import Embedder
from assistant.pipeline.followup import cited_documents, is_follow_up
from assistant.pipeline.options import AskOptions, History, parse_history
from assistant.retrieval.hybrid import HybridSearch
from assistant.retrieval.source_names import AmbiguousSource
from assistant.text.korean import KoreanAnalyzer
from assistant.text.messages import Messages, language_of
from assistant.types import Answer


@dataclass(frozen=True, slots=True)
class ChainParts:
    """Everything the chain uses, passed in explicitly.

    :param answerers: by name; ``default_answerer`` answers when a request names none.
    :param k: passages the answerer reads when a request says nothing.
    :param max_question_chars: longer questions get a clear message, not a search.
    """

    analyzer: KoreanAnalyzer
    embedder: Embedder
    search: HybridSearch
    answerers: Mapping[str, Answerer]
    messages: Messages
    default_answerer: str = "extractive"
    k: int = 5
    max_question_chars: int = 2000


def retrieval_query(question: str, history: History, analyzer: KoreanAnalyzer) -> str:
    """Carry the previous question into a follow-up that leans on it ("그는 …?").

    A question that names no subject of its own (a pronoun, or almost no content words)
    is searched together with the last question; one that stands alone is left alone.
    """
    if not is_follow_up(question, history, analyzer):
        return question
    return f"{history[-1][0]} {question}"


def options_of(inputs: Mapping[str, Any]) -> AskOptions:
    """The request's options: ``inputs["options"]``, else the flat keys."""
    options = inputs.get("options")
    if isinstance(options, AskOptions):
        return options
    return AskOptions(
        k=inputs.get("k"),
        filters=inputs.get("filters"),
        fusion=inputs.get("fusion"),
        answerer=inputs.get("answerer"),
        retrieve_k=inputs.get("retrieve_k"),
    )


def clean_question(value: Any) -> str:
    """The question as text: stripped, lone surrogates replaced; ValueError if not text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"the question must be text (str), not {type(value).__name__}")
    return value.encode("utf-8", "replace").decode("utf-8").strip()


def build_chain(parts: ChainParts) -> Runnable[dict[str, Any], Answer]:
    """The question-answering chain over ``parts``; see the module docstring."""
    messages = parts.messages

    def validate(inputs: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        question = clean_question(inputs.get("question"))
        language = language_of(question) if question else "ko"
        options = options_of(inputs)
        name = options.answerer or parts.default_answerer
        if name not in parts.answerers:
            known = ", ".join(parts.answerers)
            raise ValueError(f"unknown answerer {name!r}; this assistant offers: {known}")
        state: dict[str, Any] = {
            "question": question,
            "language": language,
            "options": options,
            "answerer": parts.answerers[name],
            "history": parse_history(inputs.get("history")),
            "timings": {},
        }
        if not question:
            state["answer"] = _invalid(question, messages.get("empty_question", language), language)
        elif len(question) > parts.max_question_chars:
            message = messages.get(
                "question_too_long", language, length=len(question), limit=parts.max_question_chars
            )
            state["answer"] = _invalid(question[:200] + "…", message, language)
        return state

    def retrieve(state: dict[str, Any]) -> dict[str, Any]:
        if "answer" in state:
            return state
        started = time.perf_counter()
        options: AskOptions = state["options"]
        standalone = _standalone(state)
        query = standalone or retrieval_query(state["question"], state["history"], parts.analyzer)
        try:
            if not parts.search.knows(query):  # emoji, punctuation, keyboard mash
                state["answer"] = refusal(state["question"], messages, state["language"], [])
                return state
            focus: list[str] = []
            state["follow_up"] = is_follow_up(state["question"], state["history"], parts.analyzer)
            if state["follow_up"]:
                focus = cited_documents(state["history"][-1][1], parts.search)
            if focus and not standalone and len(parts.analyzer.terms(state["question"])) >= 2:
                # the documents carry the context, and a question with words enough of its
                # own is searched by them alone (a bare one keeps the previous question)
                query = state["question"]
            vector = parts.embedder.embed_queries([parts.search.dense_query(query)])[0]
            k = options.k or parts.k
            ranking = parts.search.search(
                query,
                k=max(k, options.retrieve_k or 0),
                filters=options.filters,
                query_vector=vector,
                fusion=options.fusion,
                focus=focus,
            )
        except AmbiguousSource as exc:
            choices = ", ".join(exc.choices)
            message = messages.get(
                "source_ambiguous", state["language"], name=exc.name, choices=choices
            )
            state["answer"] = _invalid(state["question"], message, state["language"])
            return state
        except StoreUnavailable as exc:
            message = messages.get("store_unavailable", state["language"], error=exc)
            state["answer"] = Answer(
                state["question"], message, True, status="error", language=state["language"]
            )
            return state
        documents = [d for d in ranking if d.metadata["doc_id"] in focus] or ranking
        state.update(query=query, query_vector=vector, documents=documents[:k], ranking=ranking)
        state["timings"]["retrieve"] = time.perf_counter() - started
        if not ranking:
            empty = "no_match" if _filtered(options, parts.search) else "empty_index"
            state["answer"] = Answer(
                state["question"],
                messages.get(empty, state["language"]),
                True,
                status="refused",
                language=state["language"],
            )
        return state

    def _standalone(state: dict[str, Any]) -> str:
        """An LLM's standalone rewrite of a follow-up ("" when there is none to make)."""
        if not state["history"] or not state["answerer"].generative:
            return ""
        started = time.perf_counter()
        try:
            rewritten = state["answerer"].condense(
                state["question"], state["history"], state["language"]
            )
        except LLMError as exc:  # the answer step will not ask the same server again
            state["llm_error"] = str(exc)
            rewritten = ""
        state["timings"]["condense"] = time.perf_counter() - started
        state["standalone"] = rewritten
        return rewritten

    def answer(state: dict[str, Any]) -> Iterator[str | Answer]:
        if "answer" in state:
            yield replace(state["answer"], timings=state["timings"])
            return
        request = AnswerRequest(
            question=state["question"],
            documents=tuple(state["documents"]),
            query_vector=state["query_vector"],
            language=state["language"],
            standalone=state.get("standalone") or None,
            error=state.get("llm_error"),
            translation=parts.search.translated(state["question"]),
            follow_up=state.get("follow_up", False),
        )
        started = time.perf_counter()
        for part in state["answerer"].stream(request):
            if isinstance(part, Answer):
                state["timings"]["answer"] = time.perf_counter() - started
                # the answerer saw the first k of the ranking
                yield replace(part, timings=state["timings"], documents=tuple(state["ranking"]))
            else:
                yield part

    return (
        RunnableLambda(validate, name="validate")
        | RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(answer, name="answer")
    ).with_config(run_name="news_qa")


def _filtered(options: AskOptions, search: HybridSearch) -> bool:
    """Whether filters, rather than an empty index, left nothing to search."""
    f = options.filters
    narrowed = f is not None and bool(f.sources or f.published_from or f.published_to)
    return narrowed and search.store.counts()[0] > 0


def _invalid(question: str, message: str, language: str) -> Answer:
    return Answer(question, message, True, status="invalid", language=language)
