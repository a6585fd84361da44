"""The chain on fakes (no model, no Chroma): validation, options, the streaming protocol,
follow-ups and failures. The real chain over the real index is tests/integration/test_chain.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.errors import LLMError
from assistant.pipeline.chain import ChainParts, build_chain, options_of
from assistant.pipeline.options import AskOptions, parse_history
from assistant.retrieval.filters import Filters
from assistant.retrieval.fusion import Fusion
from assistant.settings import PROJECT_ROOT
from assistant.text.korean import KoreanAnalyzer
from assistant.text.messages import Messages
from assistant.types import Answer
from tests.fakes.parts import FakeEmbedder, FakeSearch, ScriptedAnswerer, passage

MESSAGES = Messages.load(PROJECT_ROOT / "prompts")
RANKING = [passage(f"d{i}", f"문장 {i}입니다.", 1.0 - i / 10) for i in range(1, 9)]


def make(
    analyzer: KoreanAnalyzer, *, fail: bool = False, **answerers: ScriptedAnswerer
) -> tuple[Any, FakeSearch, dict[str, ScriptedAnswerer]]:
    search = FakeSearch(list(RANKING), fail=fail)
    table = {"extractive": ScriptedAnswerer(name="extractive"), **answerers}
    parts = ChainParts(
        analyzer=analyzer,
        embedder=FakeEmbedder(),  # type: ignore[arg-type]
        search=search,  # type: ignore[arg-type]
        answerers=table,
        messages=MESSAGES,
        k=3,
        max_question_chars=50,
    )
    return build_chain(parts), search, table


def test_invoke_answers_with_the_first_k_and_keeps_the_ranking(analyzer: KoreanAnalyzer) -> None:
    chain, search, answerers = make(analyzer)
    answer = chain.invoke({"question": "문장은 무엇인가?", "options": AskOptions(retrieve_k=6)})
    assert isinstance(answer, Answer) and answer.text == "answer from d1"
    [request] = answerers["extractive"].requests
    assert len(request.documents) == 3 and request.language == "ko"
    assert len(answer.documents) == 6  # the evaluation's deeper ranking
    assert search.calls[0]["k"] == 6 and {"retrieve", "answer"} <= set(answer.timings)


def test_stream_yields_deltas_then_exactly_one_answer(analyzer: KoreanAnalyzer) -> None:
    llm = ScriptedAnswerer(name="llm", generative=True, deltas=("북한은 ", "파견했다."))
    chain, _, _ = make(analyzer, llm=llm)
    parts = list(chain.stream({"question": "북한은?", "answerer": "llm"}))
    assert parts[:2] == ["북한은 ", "파견했다."]
    assert isinstance(parts[-1], Answer) and len(parts) == 3
    invoked = chain.invoke({"question": "북한은?", "answerer": "llm"})
    assert isinstance(invoked, Answer) and invoked.text == "북한은 파견했다."


def test_batch_and_ainvoke_give_answers(analyzer: KoreanAnalyzer) -> None:
    chain, _, _ = make(analyzer)
    batch = chain.batch([{"question": "하나?"}, {"question": "둘?"}])
    assert [a.question for a in batch] == ["하나?", "둘?"]
    answer = asyncio.run(chain.ainvoke({"question": "셋?"}))
    assert isinstance(answer, Answer) and answer.question == "셋?"


@pytest.mark.parametrize(("question", "key"), [("", "empty_question"), ("  \n", "empty_question")])
def test_empty_question_is_invalid_without_a_search(
    analyzer: KoreanAnalyzer, question: str, key: str
) -> None:
    chain, search, _ = make(analyzer)
    answer = chain.invoke(question)
    assert answer.status == "invalid" and answer.text == MESSAGES.get(key, "ko")
    assert search.calls == []


def test_too_long_question_is_invalid_with_its_length(analyzer: KoreanAnalyzer) -> None:
    chain, search, _ = make(analyzer)
    answer = chain.invoke("질문" * 40)
    assert answer.status == "invalid" and "80" in answer.text and "50" in answer.text
    assert search.calls == []


def test_store_down_is_an_error_answer_naming_the_server(analyzer: KoreanAnalyzer) -> None:
    chain, _, _ = make(analyzer, fail=True)
    answer = chain.invoke("북한은?")
    assert answer.status == "error" and "127.0.0.1:1" in answer.text


def test_empty_index_is_a_refusal_saying_so(analyzer: KoreanAnalyzer) -> None:
    chain, search, answerers = make(analyzer)
    search.ranking.clear()
    answer = chain.invoke("북한은?")
    assert answer.status == "refused" and answer.text == MESSAGES.get("empty_index", "ko")
    assert answerers["extractive"].requests == []


def test_request_options_reach_the_search(analyzer: KoreanAnalyzer) -> None:
    chain, search, _ = make(analyzer)
    fusion, filters = Fusion(bm25_weight=0.0, dense_weight=1.0), Filters(sources=("a.txt",))
    options = AskOptions(k=2, filters=filters, fusion=fusion)
    chain.invoke({"question": "북한은?", "options": options})
    call = search.calls[-1]
    assert (call["k"], call["filters"], call["fusion"]) == (2, filters, fusion)


def test_unknown_answerer_is_named(analyzer: KoreanAnalyzer) -> None:
    chain, _, _ = make(analyzer)
    with pytest.raises(ValueError, match=r"unknown answerer 'gpt'.*extractive"):
        chain.invoke({"question": "북한은?", "answerer": "gpt"})


def test_follow_up_is_searched_with_the_previous_question(analyzer: KoreanAnalyzer) -> None:
    chain, search, _ = make(analyzer)
    history = [("러시아 대사는 누구였나?", "마체고라")]
    chain.invoke({"question": "그는 몇 년 재임했어?", "history": history})
    assert search.calls[-1]["query"] == "러시아 대사는 누구였나? 그는 몇 년 재임했어?"
    chain.invoke({"question": "북한의 미사일 발사 장소는 어디인가?", "history": history})
    assert search.calls[-1]["query"] == "북한의 미사일 발사 장소는 어디인가?"


def test_generative_answerer_condenses_and_a_failed_server_is_asked_once(
    analyzer: KoreanAnalyzer,
) -> None:
    llm = ScriptedAnswerer(name="llm", generative=True, condensed="마체고라는 몇 년 재임했나?")
    chain, search, _ = make(analyzer, llm=llm)
    history = [("러시아 대사는 누구였나?", "마체고라")]
    answer = chain.invoke({"question": "그는?", "history": history, "answerer": "llm"})
    assert search.calls[-1]["query"] == "마체고라는 몇 년 재임했나?"
    assert llm.requests[-1].standalone == "마체고라는 몇 년 재임했나?"
    assert "condense" in answer.timings
    broken = ScriptedAnswerer(name="llm", generative=True, condense_error=LLMError("timeout"))
    chain, _, _ = make(analyzer, llm=broken)
    chain.invoke({"question": "그는?", "history": history, "answerer": "llm"})
    assert broken.requests[-1].error == "timeout"  # the answer step will not wait again


def test_history_must_be_pairs() -> None:
    assert parse_history([("q", "a"), {"question": "q2", "answer": "a2"}]) == [
        ("q", "a"),
        ("q2", "a2"),
    ]
    with pytest.raises(ValueError, match="history turn 2"):
        parse_history([("q", "a"), None])
    with pytest.raises(ValueError, match="history turn 1"):
        parse_history([("q", "a", "extra")])


def test_flat_keys_and_options_mean_the_same() -> None:
    flat = options_of({"k": 2, "answerer": "x", "retrieve_k": 9})
    assert flat == AskOptions(k=2, answerer="x", retrieve_k=9)
    given = AskOptions(k=4)
    assert options_of({"options": given, "k": 2}) is given


@pytest.mark.parametrize("question", ["😀🔥🇰🇷👍", "?!?...", "…"])
def test_a_question_without_letters_or_digits_is_refused_unsearched(
    analyzer: KoreanAnalyzer, question: str
) -> None:
    chain, search, _ = make(analyzer)
    answer = chain.invoke(question)
    assert answer.status == "refused" and answer.text == MESSAGES.get("refusal", answer.language)
    assert search.calls == [] and answer.citations == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [(12345, "must be text"), (b"bytes", "must be text"), (["q"], "must be text")],
)
def test_a_question_that_is_not_text_is_a_value_error(
    analyzer: KoreanAnalyzer, value: object, message: str
) -> None:
    chain, _, _ = make(analyzer)
    with pytest.raises(ValueError, match=message):
        chain.invoke({"question": value})


def test_lone_surrogates_are_replaced_not_a_crash(analyzer: KoreanAnalyzer) -> None:
    chain, search, _ = make(analyzer)
    answer = chain.invoke("북한은\udcff 미사일을 쐈나?")
    assert answer.question == "북한은? 미사일을 쐈나?" and search.calls
    answer.question.encode("utf-8")  # printable and storable


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": -5}, "k must be between 1 and 1000"),
        ({"k": 0}, "k must be between 1 and 1000"),
        ({"k": "3"}, "k must be a whole number"),
        ({"k": True}, "k must be a whole number"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"retrieve_k": 10**6}, "retrieve_k must be between"),
        ({"answerer": 3}, "answerer must be a str"),
        ({"filters": {"sources": ["a"]}}, "filters must be a Filters"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AskOptions(**options)


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([None], "history turn 1"),
        (["abc"], "history turn 1"),
        ([("q", "a", "x")], "history turn 1"),
        ([("q", 3)], "history turn 1"),
        ("q a", "history must be a list"),
        (5, "history must be a list"),
    ],
)
def test_bad_history_is_a_value_error(
    analyzer: KoreanAnalyzer, history: object, message: str
) -> None:
    chain, _, _ = make(analyzer)
    with pytest.raises(ValueError, match=message):
        chain.invoke({"question": "북한은?", "history": history})


def test_follow_up_answers_from_the_documents_the_previous_answer_quoted(
    analyzer: KoreanAnalyzer,
) -> None:
    chain, search, answerers = make(analyzer)
    history = [("미사일은 언제 쐈나?", "문장 4입니다. [1]")]
    chain.invoke({"question": "그건 누가 발표했어?", "history": history})
    lookup, asked = search.calls[-2:]
    assert lookup["query"] == "문장 4입니다."  # the previous answer's own sentence
    assert asked["focus"] == ["d4"]
    assert asked["query"] == "미사일은 언제 쐈나? 그건 누가 발표했어?"  # one word of its own
    [request] = answerers["extractive"].requests
    assert [d.metadata["doc_id"] for d in request.documents] == ["d4"]
    chain.invoke({"question": "분석가들은 그걸 어떻게 봤어?", "history": history})
    assert search.calls[-1]["query"] == "분석가들은 그걸 어떻게 봤어?"  # words of its own
    assert search.calls[-1]["focus"] == ["d4"]


def test_no_focus_after_a_refusal_or_for_a_question_of_its_own(analyzer: KoreanAnalyzer) -> None:
    chain, search, answerers = make(analyzer)
    refused = [("미사일은 언제 쐈나?", MESSAGES.get("refusal", "ko"))]
    chain.invoke({"question": "그건 누가 발표했어?", "history": refused})
    assert len(search.calls) == 1 and search.calls[0]["focus"] == []
    quoted = [("미사일은 언제 쐈나?", "문장 4입니다. [1]")]
    chain.invoke({"question": "북한의 미사일 발사 장소는 어디인가?", "history": quoted})
    assert len(search.calls) == 2 and search.calls[1]["focus"] == []
    assert len(answerers["extractive"].requests[-1].documents) == 3
