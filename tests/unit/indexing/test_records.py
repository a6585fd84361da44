"""JSON and JSONL records: fields kept, bad lines skipped with a warning, dates normalized."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from assistant.errors import UnreadableFile
from assistant.indexing.corpus import load_file
from assistant.indexing.records import (
    articles_from_json,
    articles_from_jsonl,
    normalize_date,
    record_to_article,
)


def _line(record: object) -> str:
    return json.dumps(record, ensure_ascii=False)


def test_jsonl_records_keep_fields_and_skip_malformed_lines(tmp_path: Path) -> None:
    lines = [
        _line(
            {
                "id": "a1",
                "title": "첫 기사",
                "text": "본문 하나.",
                "url": "https://x/1",
                "published": "2025.12.18",
                "section": "정치",
            }
        ),
        "{this is not json",
        _line({"title": "둘째 기사", "content": "본문 둘."}),
        _line({"title": "본문 없음"}),
        "",
        _line(["a list", "not an object"]),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines), "utf-8")
    warnings: list[str] = []
    first, second = load_file(path, tmp_path, warnings.append)
    assert (first.doc_id, first.title, first.url, first.published) == (
        "a1",
        "첫 기사",
        "https://x/1",
        "2025-12-18",
    )
    assert first.metadata == {"section": "정치"}
    assert first.text == "첫 기사\n\n본문 하나."
    assert len(second.doc_id) == 16  # no id: derived from the content
    assert [w.split(":")[0] for w in warnings] == [
        "feed.jsonl, line 2",
        "feed.jsonl, line 4",
        "feed.jsonl, line 6",
    ]
    assert "no text" in warnings[1] and "not a JSON object" in warnings[2]


def test_content_id_is_stable_and_content_hash_tracks_edits() -> None:
    a = record_to_article({"title": "t", "text": "본문."}, "f.jsonl")
    b = record_to_article({"title": "t", "text": "본문."}, "f.jsonl")
    assert a.doc_id == b.doc_id and a.content_hash == b.content_hash
    assert record_to_article({"title": "t", "text": "다른 본문."}, "f.jsonl").doc_id != a.doc_id
    b = dataclasses.replace(b, text=b.text + " 추가.")
    assert a.content_hash != b.content_hash


def test_nested_metadata_becomes_json_text_and_nulls_are_dropped() -> None:
    record = {"text": "본문이다.", "tags": ["정치", "외교"], "views": 3, "author": None}
    article = record_to_article(record, "s.json")
    assert article.metadata == {"tags": '["정치", "외교"]', "views": 3}
    assert article.title == "본문이다."  # no title: the first sentence stands in


def test_json_file_holds_one_record_a_list_or_an_articles_list() -> None:
    one = _line({"id": "1", "text": "하나."})
    many = _line([{"id": "1", "text": "하나."}, {"id": "2", "text": "둘."}])
    wrapped = _line({"articles": [{"id": "3", "text": "셋."}]})
    assert [a.doc_id for a in articles_from_json(one, "a.json")] == ["1"]
    assert [a.doc_id for a in articles_from_json(many, "b.json")] == ["1", "2"]
    assert [a.doc_id for a in articles_from_json(wrapped, "c.json")] == ["3"]


def test_bad_json_file_is_refused_whole() -> None:
    with pytest.raises(UnreadableFile, match=r"broken\.json: malformed JSON"):
        articles_from_json("{not json", "broken.json")
    with pytest.raises(UnreadableFile, match=r"half\.json: record has no text"):
        articles_from_json(_line([{"text": "좋다."}, {"title": "없다"}]), "half.json")


def test_blank_jsonl_lines_are_not_warned_about() -> None:
    warned: list[str] = []
    text = "\n  \n" + _line({"text": "본문."}) + "\n\n"
    assert len(articles_from_jsonl(text, "gaps.jsonl", warned.append)) == 1
    assert warned == []


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2025-12-18", "2025-12-18"),
        ("2025.12.18 10:00", "2025-12-18"),
        ("2025/1/5", "2025-01-05"),
        ("2025년 12월 18일", "2025-12-18"),
        (datetime(2025, 12, 18, 10, 0), "2025-12-18"),
        (date(2025, 2, 3), "2025-02-03"),
        ("2025-13-40", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_dates_normalize_to_iso(raw: object, iso: str | None) -> None:
    assert normalize_date(raw) == iso
