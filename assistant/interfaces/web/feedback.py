"""Ratings of answers: what a rating may hold, and appending it to DATA_DIR/feedback.jsonl.

The like event carries what the browser sends (a message index, a "liked" value, the
comment box), so none of it is trusted: the rating must be one of ``RATINGS``, the
comment at most ``MAX_COMMENT_CHARS`` characters, and the index must name an answer this
session holds. The rest of a record (question, answer, citations, settings) comes from
the session's own turns, which live on the server (``gr.State``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.text.messages import Messages

RATINGS = ("up", "down", "none")  # "none": a rating taken back
MAX_COMMENT_CHARS = 2000


class FeedbackRejected(ValueError):
    """A rating that is not stored; ``key`` names its message in ui.toml."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def rating_of(liked: object) -> str:
    """The rating for Gradio's ``liked`` value: True, False, or empty (taken back)."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    if liked is None or (isinstance(liked, str) and liked == ""):
        return "none"
    raise FeedbackRejected("feedback_invalid")


def rated_turn(turns: list[dict[str, Any]], index: object) -> dict[str, Any]:
    """The turn whose answer sits at chat message ``index``; rejects any other index."""
    if isinstance(index, list | tuple) and index:
        index = index[0]
    if not isinstance(index, int) or isinstance(index, bool):
        raise FeedbackRejected("feedback_no_answer")
    turn = next((x for x in turns or [] if x.get("message_index") == index), None)
    if turn is None:  # a "still loading" or error message, or no message at all
        raise FeedbackRejected("feedback_no_answer")
    return turn


def clean_comment(comment: object) -> str:
    """The comment as stored: a string of at most ``MAX_COMMENT_CHARS`` characters."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise FeedbackRejected("feedback_invalid")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackRejected("feedback_comment_too_long")
    return comment


def feedback_record(turn: dict[str, Any], rating: str, comment: str = "") -> dict[str, Any]:
    """One line of feedback.jsonl: the rating with the question, answer and citations."""
    if rating not in RATINGS:
        raise FeedbackRejected("feedback_invalid")
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "comment": clean_comment(comment),
        "turn": turn["turn"],
        "question": turn["question"],
        "answer": turn["answer"],
        "status": turn["status"],
        "answerer": turn["answerer"],
        "citations": turn["citations"],
        "settings": {k: turn.get(k) for k in ("k", "bm25_weight", "dense_weight")},
    }


class FeedbackLog:
    """Appends records to one JSONL file, one writer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Add one validated record as a JSON line (one writer at a time)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)


def comment_box(texts: Messages) -> gr.Textbox:
    """The optional comment that goes with the next rating."""
    return gr.Textbox(
        label=texts.get("feedback_comment_label"),
        placeholder=texts.get("feedback_comment_placeholder"),
        max_length=MAX_COMMENT_CHARS,
        max_lines=3,
        elem_id="feedback-comment",
    )


def rate_handler(log: FeedbackLog, texts: Messages) -> Callable[..., Any]:
    """The like event's handler: validate, append, thank, and empty the comment box.

    A rejected rating is not stored; a warning says why and the comment stays to fix.
    """

    def rate(turns: list[dict[str, Any]], comment: str, data: gr.LikeData) -> Any:
        try:
            turn = rated_turn(turns, data.index)
            record = feedback_record(turn, rating_of(data.liked), comment)
        except FeedbackRejected as exc:
            gr.Warning(texts.get(exc.key, max=MAX_COMMENT_CHARS))
            return gr.skip()
        log.append(record)
        gr.Info(texts.get("feedback_removed" if record["rating"] == "none" else "feedback_saved"))
        return ""

    return rate
