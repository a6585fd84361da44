"""The short answer marked in the reply and inside its cited sentence, always escaped."""

from __future__ import annotations

import json
import re

from assistant.interfaces.web.panels import highlight, sources_html
from assistant.interfaces.web.render import answer_markdown, md_escape, turn_record
from assistant.settings import PROJECT_ROOT
from assistant.text.messages import Messages
from assistant.types import Answer, Citation

UI = Messages.load(PROJECT_ROOT / "prompts", "ui.toml", "ko")
SHORT = re.compile(r'<mark class="short">(.*?)</mark>')
DOC = "제목 줄. 러시아 대사 알렉산드르 마체고라가 숨졌다. 그는 10년간 재임했다."
NAME = "알렉산드르 마체고라"


def cited(highlight: tuple[int, int] | None, doc: str = DOC, name: str = NAME) -> Citation:
    """Citation 1 of ``doc`` (one chunk from offset 100), its second sentence cited."""
    start = doc.index("러시아") if "러시아" in doc else doc.index(name)
    end = doc.index(" 그는")
    return Citation(
        number=1, doc_id="d", title="<i>제목</i>", source="a.txt", text=doc,
        start=100 + start, end=100 + end, score=0.9, sentence=doc[start:end],
        chunk_id="d#0", chunk_start=100, highlight=highlight,
    )  # fmt: skip


def span_of(name: str, doc: str = DOC) -> tuple[int, int]:
    at = 100 + doc.index(name)
    return at, at + len(name)


def page_for(answer: Answer) -> str:
    turn = json.loads(json.dumps(turn_record(answer, 1, 1)))  # as gr.State keeps it
    return sources_html([turn], UI)


# ------------------------------------------------------------------------ the reply


def test_reply_marks_the_first_occurrence_outside_the_markers() -> None:
    text = f"대사 {NAME}가 숨졌다. [1] {NAME}는 10년간 재임했다. [2]"
    out = answer_markdown(text, {1, 2}, 1, NAME)
    assert SHORT.findall(out) == [md_escape(NAME)]
    assert out.index("<mark") < out.index("#src-1-1")  # the first one, before marker [1]
    assert "[\\[2\\]](#src-1-2)" in out  # the markers still link


def test_reply_mark_holds_escaped_text_only() -> None:
    short = '<img src=x onerror="alert(1)">*굵게*'
    out = answer_markdown(f"이름은 {short}이다. [1]", {1}, 1, short)
    (inside,) = SHORT.findall(out)
    assert "<img" not in out and "&lt;img" in inside and "\\*굵게\\*" in inside


def test_reply_without_a_short_answer_is_unchanged() -> None:
    text = f"대사 {NAME}가 숨졌다. [1]"
    plain = answer_markdown(text, {1}, 1)
    assert "<mark" not in plain
    assert answer_markdown(text, {1}, 1, "") == plain
    assert answer_markdown(text, {1}, 1, "  ") == plain
    assert answer_markdown(text, {1}, 1, "없는 이름") == plain


def test_a_streamed_prefix_is_marked_once_the_whole_span_arrived() -> None:
    assert "<mark" not in answer_markdown("대사 알렉산드르 마체", {1}, 1, NAME)
    assert SHORT.findall(answer_markdown("대사 알렉산드르 마체고라가", {1}, 1, NAME))


# ------------------------------------------------------------------------ the source


def test_source_marks_the_span_inside_the_sentence_mark() -> None:
    html = page_for(Answer("대사는?", f"{NAME}가 숨졌다. [1]", False, (cited(span_of(NAME)),)))
    assert SHORT.findall(html) == [NAME]
    nested = f'<mark>러시아 대사 <mark class="short">{NAME}</mark>가 숨졌다.</mark>'
    assert nested in html  # inside the cited sentence's mark


def test_source_without_a_span_marks_the_sentence_only() -> None:
    answer = Answer("대사는?", f"{NAME}가 숨졌다. [1]", False, (cited(None),), short_answer=NAME)
    html = page_for(answer)
    assert "<mark>" in html and 'class="short"' not in html


def test_a_span_outside_the_sentence_is_ignored() -> None:
    for bad in [(100, 104), (100 + len(DOC) - 3, 100 + len(DOC) + 5), (120, 110)]:
        html = page_for(Answer("q", "a [1]", False, (cited(bad),)))
        assert 'class="short"' not in html and "<mark>" in html, bad


def test_source_span_text_is_escaped() -> None:
    name = "<script>x()</script>"
    doc = f"제목 줄. 러시아 대사 {name}가 숨졌다. 그는 10년간 재임했다."
    html = page_for(Answer("q", "a [1]", False, (cited(span_of(name, doc), doc, name),)))
    assert SHORT.findall(html) == ["&lt;script&gt;x()&lt;/script&gt;"]
    assert "<script>" not in html


def test_highlight_keeps_the_span_when_the_sentence_is_found_by_search() -> None:
    passage = "앞 문장. 마체고라가 숨졌다. 뒤."
    sentence = "마체고라가 숨졌다."
    out = highlight(passage, sentence, 0, 3, (0, 4))  # stale offsets: found by search
    assert out == '앞 문장. <mark><mark class="short">마체고라</mark>가 숨졌다.</mark> 뒤.'
    alone = highlight("다른 본문.", sentence, 0, 3, (0, 4))  # not in the passage at all
    assert SHORT.findall(alone) == ["마체고라"] and alone.startswith("<mark>")
