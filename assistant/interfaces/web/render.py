"""Markdown for the chat and the records the page keeps, apart from the wiring in ``app.py``.

Everything an article says reaches the page through ``esc`` (or ``md_escape`` inside the
chat), so markup or script inside an article is shown as text and never rendered or run.
Turns are plain dicts (JSON-able, so they can live in ``gr.State``); see ``turn_record``.
The sources and retrieved panels' HTML lives in ``panels``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from assistant.indexing.ingest import IngestReport
    from assistant.text.messages import Messages
    from assistant.types import Answer

MARKER = re.compile(r"\[(\d+)\]")
# Characters Markdown (and Gradio's LaTeX/template handling) could act on.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$<>])")
SHORT_MARK = '<mark class="short">{}</mark>'  # the short answer, in reply and source


def esc(text: object) -> str:
    """HTML-escape, plus the characters a template engine could expand (``${…}``, ``{{…}}``)."""
    out = html.escape(str(text), quote=True)
    return out.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def md_escape(text: str) -> str:
    """Text shown verbatim by a Markdown renderer (Gradio's Chatbot) that also allows HTML."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False).replace("\n", "  \n"))


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are made clickable: a ``javascript:`` URL in an article is not."""
    if not url:
        return None
    return url if urlparse(url.strip()).scheme.lower() in {"http", "https"} else None


def anchor(turn: int, number: int) -> str:
    """The element id of citation ``number`` of answer ``turn`` in the sources panel."""
    return f"src-{turn}-{number}"


# --------------------------------------------------------------------------- chat


def answer_markdown(text: str, numbers: set[int], turn: int, short: str = "") -> str:
    """The answer for the Chatbot: article text escaped, each [n] a link to its source.

    ``short`` (the answer's ``short_answer``) is marked where it first appears outside the
    markers; a prefix that does not hold it yet (while streaming) is left unmarked.
    """
    parts, last = [], 0
    for m in MARKER.finditer(text):
        number = int(m.group(1))
        if number not in numbers:
            continue
        segment, marked = _mark_first(text[last : m.start()], short)
        short = "" if marked else short
        parts += [segment, f"[\\[{number}\\]](#{anchor(turn, number)})"]
        last = m.end()
    parts.append(_mark_first(text[last:], short)[0])
    return "".join(parts)


def _mark_first(text: str, short: str) -> tuple[str, bool]:
    """``text`` escaped for the chat with its first ``short`` in a <mark>; whether it had one."""
    found = text.find(short) if short.strip() else -1
    if found < 0:
        return md_escape(text), False
    end = found + len(short)
    mark = SHORT_MARK.format(md_escape(text[found:end]))
    return md_escape(text[:found]) + mark + md_escape(text[end:]), True


def stream_prefixes(text: str, max_steps: int = 40) -> Iterator[str]:
    """Growing prefixes of ``text``, a few words at a time, ending with the whole text.

    The extractive answer exists in full at once; showing it progressively keeps the chat
    feeling the same as when an LLM streams tokens (issue 5).
    """
    words = re.findall(r"\S+\s*", text)
    if not words:
        yield text
        return
    step = max(1, -(-len(words) // max_steps))
    for end in range(step, len(words) + step, step):
        yield "".join(words[:end]).rstrip() if end < len(words) else text


# --------------------------------------------------------------------------- records


def turn_record(answer: Answer, turn: int, message_index: int) -> dict[str, Any]:
    """What the page keeps of one answer: enough to redraw its sources and to rate it."""
    citations = [asdict(c) for c in answer.citations]
    cited = {c["chunk_id"] for c in citations}
    retrieved = []
    for rank, doc in enumerate(answer.documents, start=1):
        m = doc.metadata
        retrieved.append(
            {
                "rank": rank,
                "title": m.get("title", ""),
                "source": m.get("source", ""),
                "url": m.get("url"),
                "published": m.get("published"),
                "chunk_id": m.get("chunk_id"),
                "score": m.get("score"),
                "bm25": m.get("bm25"),
                "dense": m.get("dense"),
                "cited": m.get("chunk_id") in cited,
                "text": doc.page_content,
            }
        )
    return {
        "turn": turn,
        "message_index": message_index,
        "question": answer.question,
        "answer": answer.text,
        "short_answer": answer.short_answer,
        "status": answer.status,
        "refused": answer.refused,
        "language": answer.language,
        "answerer": answer.answerer,
        "citations": citations,
        "retrieved": retrieved,
    }


def parse_history(text: str | None) -> list[tuple[str, str]]:
    """A JSON list of [question, answer] pairs or {"question", "answer"} objects."""
    try:
        turns = json.loads(text or "[]")
        pairs = []
        for turn in turns:
            q, a = (turn["question"], turn["answer"]) if isinstance(turn, dict) else turn
            pairs.append((str(q), str(a)))
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not a list of [question, answer] pairs: {exc}") from exc
    return pairs


def upload_summary(
    report: IngestReport | None, warnings: list[str], rejected: list[str], texts: Messages
) -> str:
    """What an upload did, as Markdown; file names and warnings are shown verbatim."""
    lines = []
    if report is not None:
        lines.append(
            texts.get(
                "upload_done",
                new=report.new,
                changed=report.changed,
                unchanged=report.unchanged,
                seconds=report.seconds,
            )
        )
    if warnings:
        lines.append(texts.get("upload_warnings"))
        lines.extend(f"- {md_escape(w)}" for w in warnings)
    if rejected:
        lines.append(md_escape(texts.get("upload_rejected", names=", ".join(rejected))))
    return "\n\n".join(lines) if lines else texts.get("upload_nothing")
