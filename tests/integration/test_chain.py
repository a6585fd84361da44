"""The LCEL chain from Python: invoke, stream, batch, async; follow-ups; bad input."""

from __future__ import annotations

import asyncio

from assistant.pipeline.chain import ChainParts, build_chain, retrieval_query
from assistant.pipeline.service import Assistant
from assistant.types import Answer

AMBASSADOR = "러시아의 평양 주재 대사는 누구였나?"


def test_invoke_stream_batch_and_async(qa: Assistant) -> None:
    inputs = {"question": "북한이 극초음속 미사일을 시험 발사한 날은?", "history": []}
    answer = qa.chain.invoke(inputs)
    assert isinstance(answer, Answer) and "4일" in answer.text
    streamed = list(qa.chain.stream(inputs))
    assert streamed and streamed[-1].text == answer.text
    batch = qa.chain.batch([inputs, {"question": AMBASSADOR}])
    assert "4일" in batch[0].text and "마체고라" in batch[1].text
    async_answer = asyncio.run(qa.chain.ainvoke(inputs))
    assert async_answer.text == answer.text
    assert set(answer.timings) == {"retrieve", "answer"}


def test_follow_up_uses_the_previous_question(qa: Assistant) -> None:
    first = qa.ask(AMBASSADOR)
    assert "마체고라" in first.text
    follow = qa.ask("그는 몇 년 동안 재임했어?", history=[(AMBASSADOR, first.text)])
    assert "10년" in follow.text
    assert follow.citations[0].doc_id.endswith("-r1")


def test_follow_up_stays_with_the_article_that_answered_the_first_turn(qa: Assistant) -> None:
    missile = "북한이 극초음속 미사일을 시험 발사한 날은?"
    first = qa.ask(missile)
    assert "4일" in first.text and first.citations[0].doc_id.endswith("-r7")
    # before issue 13 this quoted the Putin-greeting article (r2), which also "발표했다"
    follow = qa.ask("그건 누가 발표했어?", history=[(missile, first.text)])
    assert not follow.refused
    assert {c.doc_id for c in follow.citations} == {first.citations[0].doc_id}
    assert "국가매체" in follow.text


def test_standalone_questions_ignore_history(qa: Assistant) -> None:
    history = [(AMBASSADOR, "…")]
    question = "북한이 극초음속 미사일을 시험 발사한 날은?"
    assert retrieval_query(question, history, qa.analyzer) == question
    assert retrieval_query("그는 몇 년 동안 재임했어?", history, qa.analyzer).startswith(AMBASSADOR)


def test_history_accepts_dicts(qa: Assistant) -> None:
    answer = qa.chain.invoke(
        {
            "question": "그는 몇 년 동안 재임했어?",
            "history": [{"question": AMBASSADOR, "answer": "마체고라"}],
        }
    )
    assert "10년" in answer.text


def test_empty_question_gets_a_clear_message(qa: Assistant) -> None:
    for question in ["", "   \n"]:
        answer = qa.ask(question)
        assert answer.status == "invalid" and answer.refused
        assert answer.text == qa.messages.get("empty_question", "ko")


def test_huge_question_is_refused_without_reaching_the_model(qa: Assistant) -> None:
    class Never:
        """An embedder that fails the test if it is asked anything."""

        def embed_queries(self, texts: list[str]) -> None:
            raise AssertionError("a 100,000-character question must not be embedded")

    parts = ChainParts(
        analyzer=qa.analyzer,
        embedder=Never(),  # type: ignore[arg-type]
        search=qa.search,
        answerers=qa.answerers,
        messages=qa.messages,
        max_question_chars=qa.settings.max_question_chars,
    )
    chain = build_chain(parts)  # the shared Assistant's parts, nothing of it changed
    question = "북한의 미사일 " * 12_500  # 100,000 characters
    answer = chain.invoke(question)
    assert answer.status == "invalid" and answer.refused
    assert "99,999" in answer.text and f"{qa.settings.max_question_chars:,}" in answer.text
    assert len(answer.question) < 300  # the echo is cut, the message stays readable
