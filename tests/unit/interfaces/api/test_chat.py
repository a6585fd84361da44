"""OpenAI messages → (question, history), and the reply text with its sources list."""

from __future__ import annotations

import pytest

from assistant.interfaces.api.chat import conversation, reply_text, strip_sources
from assistant.interfaces.api.metrics import route_label
from assistant.interfaces.api.schemas import ChatMessage
from assistant.settings import Settings
from assistant.text.messages import Messages
from assistant.types import Answer, Citation

MESSAGES = Messages.load(Settings().prompts_dir)
LABELS = ["출처", "Sources"]


def m(role: str, content: object) -> ChatMessage:
    return ChatMessage.model_validate({"role": role, "content": content})


def citation(number: int, url: str | None = None) -> Citation:
    return Citation(
        number,
        f"d{number}",
        f"제목 {number}",
        "a.txt",
        "청크",
        0,
        3,
        0.9,
        "문장.",
        f"d{number}#0",
        0,
        url,
    )


def test_last_user_message_is_the_question_and_pairs_the_history() -> None:
    reply = "마체고라였다. [1]\n\n출처:\n[1] 제목 — a.txt"
    question, history = conversation(
        [
            m("system", "be brief"),
            m("user", "대사는 누구?"),
            m("assistant", reply),
            m("user", [{"type": "text", "text": "그는 "}, {"type": "text", "text": "몇 년?"}]),
        ],
        LABELS,
    )
    assert question == "그는 몇 년?"
    assert history == [("대사는 누구?", "마체고라였다. [1]")]


def test_a_conversation_must_end_with_the_user() -> None:
    with pytest.raises(ValueError):
        conversation([m("user", "q"), m("assistant", "a")], LABELS)
    with pytest.raises(ValueError):
        conversation([m("system", "only a system prompt")], LABELS)


def test_reply_text_ends_with_the_sources() -> None:
    answer = Answer("q", "문장. [1] 또. [2]", False, (citation(1), citation(2, "https://x.kr/2")))
    text = reply_text(answer, MESSAGES)
    assert text.endswith("출처:\n[1] 제목 1 — a.txt\n[2] 제목 2 — https://x.kr/2")
    assert strip_sources(text, LABELS) == "문장. [1] 또. [2]"
    english = Answer("q", "It says. [1]", False, (citation(1),), language="en")
    assert "\n\nSources:\n[1] " in reply_text(english, MESSAGES)
    refusal = Answer("q", "기사에서 이 질문에 대한 답을 찾지 못했습니다.", True, status="refused")
    assert reply_text(refusal, MESSAGES) == refusal.text


def test_metric_route_labels_are_bounded() -> None:
    assert route_label("/api/documents/uploads/a b") == "/api/documents/{id}"
    assert route_label("/v1/chat/completions") == "/v1/chat/completions"
    assert route_label("/api/nothing") == "other"
    assert route_label("/gradio_api/queue/join") is None  # the page's own routes
