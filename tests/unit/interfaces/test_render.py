"""HTML and Markdown of the browser app: escaping, highlighting, links, summaries (no browser)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from assistant.interfaces.web.panels import highlight, retrieved_html, sources_html
from assistant.interfaces.web.render import (
    answer_markdown,
    esc,
    md_escape,
    parse_history,
    safe_url,
    stream_prefixes,
    upload_summary,
)
from assistant.settings import PROJECT_ROOT
from assistant.text.messages import Messages

UI = Messages.load(PROJECT_ROOT / "prompts", "ui.toml", "ko")


def citation(**overrides: Any) -> dict[str, Any]:
    passage = "첫 문장이다. 마체고라는 10년간 재임했다. 끝 문장이다."
    start = passage.index("마체고라")
    end = passage.index("끝") - 1
    c = {
        "number": 1,
        "doc_id": "d",
        "title": "제목",
        "source": "a.txt",
        "url": None,
        "published": None,
        "text": passage,
        "chunk_start": 100,
        "start": 100 + start,
        "end": 100 + end,
        "sentence": passage[start:end],
        "chunk_id": "d#0",
        "score": 0.9,
    }
    return {**c, **overrides}


def turn(citations: list[dict[str, Any]], number: int = 1, **overrides: Any) -> dict[str, Any]:
    return {"turn": number, "question": "질문?", "citations": citations, **overrides}


def test_highlight_marks_the_cited_sentence_only() -> None:
    c = citation()
    out = highlight(c["text"], c["sentence"], c["start"] - 100, c["end"] - 100)
    assert out == "첫 문장이다. <mark>마체고라는 10년간 재임했다.</mark> 끝 문장이다."


def test_highlight_escapes_markup_around_and_inside_the_sentence() -> None:
    passage = "<script>alert(1)</script> 본문 <b>굵게</b>. 다음."
    end = passage.index(" 다음")
    out = highlight(passage, passage[:end], 0, end)
    assert "<script>" not in out and "<b>" not in out
    assert out.startswith("<mark>&lt;script&gt;alert(1)&lt;/script&gt;")
    assert out.endswith("</mark> 다음.")


def test_highlight_finds_the_sentence_when_offsets_are_off() -> None:
    out = highlight("가나다. 라마바. 사아자.", "라마바.", 0, 3)
    assert out == "가나다. <mark>라마바.</mark> 사아자."
    assert highlight("가나다.", "없는 문장.", 0, 2) == "<mark>없는 문장.</mark>"


def test_sources_html_escapes_every_article_field() -> None:
    hostile = '<img src=x onerror="alert(1)">${1+1}{{x}}'
    c = citation(title=hostile, source=hostile, url="javascript:alert(1)", published="2025-01-02")
    out = sources_html([turn([c], question=hostile)], UI)
    assert "<img" not in out and "javascript:" not in out
    assert "${" not in out and "{{" not in out
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert 'id="src-1-1"' in out and "2025-01-02" in out and "<mark>" in out


def test_sources_html_links_http_urls_and_folds_older_answers() -> None:
    first = turn([citation(url="https://news.example/a?b=1&c=2")], 1)
    second = turn([citation(number=2)], 2)
    out = sources_html([first, second], UI)
    assert 'data-turn="2"' in out
    assert 'href="https://news.example/a?b=1&amp;c=2"' in out
    assert out.index('id="turn-2" open') < out.index('id="turn-1"')
    assert 'id="turn-1" open' not in out
    assert UI.get("sources_empty") in sources_html([], UI)


def test_safe_url_allows_only_http() -> None:
    assert safe_url("https://a.example/x") == "https://a.example/x"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "", None):
        assert safe_url(bad) is None


def test_answer_markdown_links_known_markers_and_escapes_the_rest() -> None:
    out = answer_markdown("<b>굵게</b> *별* $x$ [1] 참고 [9]", {1}, 3)
    assert "[\\[1\\]](#src-3-1)" in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "\\*별\\*" in out and "\\$x\\$" in out and "\\[9\\]" in out


def test_md_escape_and_esc_neutralise_templates() -> None:
    assert "<" not in md_escape("<script>x</script>")
    assert esc("${a} {{b}} <c>") == "&#36;&#123;a&#125; &#123;&#123;b&#125;&#125; &lt;c&gt;"


def test_stream_prefixes_grow_to_the_whole_answer() -> None:
    text = "마체고라는 10년간 대사로 재임했다. [1] " * 30
    steps = list(stream_prefixes(text, max_steps=10))
    assert 2 <= len(steps) <= 11
    assert steps[-1] == text
    assert all(a == b[: len(a)] for a, b in itertools.pairwise(steps))
    assert list(stream_prefixes("")) == [""]


def test_parse_history_accepts_pairs_and_objects() -> None:
    assert parse_history('[["q", "a"], {"question": "q2", "answer": "a2"}]') == [
        ("q", "a"),
        ("q2", "a2"),
    ]
    assert parse_history("") == []
    for bad in ("{", '["q"]', '[{"question": "q"}]', "3"):
        with pytest.raises(ValueError):
            parse_history(bad)


def test_retrieved_html_shows_scores_and_marks_cited_rows() -> None:
    row = {"rank": 1, "title": "<t>", "source": "a.txt", "url": None, "published": None}
    row |= {"chunk_id": "c", "score": 1.0, "bm25": 4.5, "dense": 0.88, "cited": True}
    out = retrieved_html(turn([], 4, retrieved=[row | {"text": "본문 " * 200}]), UI)
    assert "1.000" in out and "4.500" in out and "0.880" in out
    assert "&lt;t&gt;" in out and 'class="cited"' in out and "…" in out


def test_upload_summary_reports_counts_warnings_and_rejects_verbatim() -> None:
    from assistant.indexing.ingest import IngestReport

    report = IngestReport(new=2, changed=1, unchanged=3, seconds=1.25)
    out = upload_summary(report, ["a.json: no 'text' in <record 3>"], ["x.pdf"], UI)
    assert UI.get("upload_done", new=2, changed=1, unchanged=3, seconds=1.25) in out
    assert UI.get("upload_warnings") in out and "&lt;record 3&gt;" in out and "x\\.pdf" in out
    assert upload_summary(None, [], [], UI) == UI.get("upload_nothing")


def test_ui_texts_have_the_same_keys_in_both_languages() -> None:
    import tomllib

    with (PROJECT_ROOT / "prompts" / "ui.toml").open("rb") as fh:
        table = tomllib.load(fh)
    assert set(table["ko"]) == set(table["en"])
    assert Messages(table, "en").get("send") == "Send"
    assert Messages(table, "xx").get("send") == table["ko"]["send"]
