"""Feedback records: a fixed set of ratings, a bounded comment, a turn that exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.interfaces.web.feedback import (
    MAX_COMMENT_CHARS,
    FeedbackLog,
    FeedbackRejected,
    feedback_record,
    rated_turn,
    rating_of,
)

TURN: dict[str, Any] = {
    "turn": 1,
    "message_index": 1,
    "question": "질문",
    "answer": "답 [1]",
    "status": "answered",
    "answerer": "extractive",
    "citations": [{"number": 1, "sentence": "문장"}],
    "k": 5,
    "bm25_weight": 0.5,
    "dense_weight": 0.5,
}


def rejected(call: Any, *args: Any) -> str:
    with pytest.raises(FeedbackRejected) as info:
        call(*args)
    return info.value.key


@pytest.mark.parametrize(
    ("liked", "rating"), [(True, "up"), (False, "down"), ("", "none"), (None, "none")]
)
def test_ratings_come_from_a_fixed_set(liked: object, rating: str) -> None:
    assert rating_of(liked) == rating


@pytest.mark.parametrize("liked", ["x" * 20_000_000, "up", "Like", 1, 0, [], {"a": 1}])
def test_any_other_liked_value_is_rejected(liked: object) -> None:
    assert rejected(rating_of, liked) == "feedback_invalid"


@pytest.mark.parametrize("index", [0, 2, 99, -1, True, "1", None, [], [5, 0]])
def test_the_rated_message_must_be_an_answer_of_this_session(index: object) -> None:
    assert rejected(rated_turn, [TURN], index) == "feedback_no_answer"
    assert rated_turn([TURN], 1) is TURN and rated_turn([TURN], [1, 0]) is TURN


def test_no_turns_nothing_to_rate() -> None:
    assert rejected(rated_turn, [], 1) == "feedback_no_answer"


def test_comments_are_bounded() -> None:
    ok = feedback_record(TURN, "up", "가" * MAX_COMMENT_CHARS)
    assert len(ok["comment"]) == MAX_COMMENT_CHARS
    too_long = "가" * (MAX_COMMENT_CHARS + 1)
    assert rejected(feedback_record, TURN, "up", too_long) == "feedback_comment_too_long"
    assert rejected(feedback_record, TURN, "up", ["not", "text"]) == "feedback_invalid"
    assert feedback_record(TURN, "down", None)["comment"] == ""


def test_record_takes_everything_but_rating_and_comment_from_the_turn() -> None:
    record = feedback_record(TURN, "up", "  출처가 정확합니다  ")
    assert record["rating"] == "up" and record["comment"] == "출처가 정확합니다"
    assert (record["turn"], record["question"], record["answer"]) == (1, "질문", "답 [1]")
    assert record["settings"] == {"k": 5, "bm25_weight": 0.5, "dense_weight": 0.5}
    assert rejected(feedback_record, TURN, "sideways") == "feedback_invalid"


def test_log_appends_one_json_line_per_record(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "sub" / "feedback.jsonl")
    log.append(feedback_record(TURN, "up"))
    log.append(feedback_record(TURN, "none"))
    lines = log.path.read_text("utf-8").splitlines()
    assert [json.loads(x)["rating"] for x in lines] == ["up", "none"]
