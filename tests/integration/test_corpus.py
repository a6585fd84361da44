"""Corpus loading: the bundled scraped page, encodings, formats and bad files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from assistant.errors import UnreadableFile
from assistant.indexing.corpus import (
    decode,
    load_corpus,
    load_file,
    normalize_date,
    split_news_page,
)
from tests.fixtures.paths import CORPUS

PAGE = CORPUS / "000_e3f8f1e00a5f7b14.txt"


def test_bundled_page_becomes_main_article_plus_related_summaries() -> None:
    articles = load_file(PAGE, CORPUS)
    ids = [a.doc_id for a in articles]
    assert ids == ["000_e3f8f1e00a5f7b14"] + [f"000_e3f8f1e00a5f7b14-r{i}" for i in range(1, 8)]
    main = articles[0]
    assert main.title == "김정은, 푸틴에 새해 인사 메시지 보내 양국 관계 '소중한 공동자산' 평가"
    assert main.text.startswith(main.title)
    assert "1만 5천 명" in main.text
    assert "관련 기사" not in main.text and "마체고라" not in main.text
    assert articles[1].title == "김정은, 평양 주재 러 대사 사망에 푸틴에 조전 보내"
    assert "10년간 대사로 재임" in articles[1].text
    assert all(a.metadata["kind"] == "related" for a in articles[1:])


def test_bundled_page_drops_boilerplate() -> None:
    text = "\n".join(a.text for a in load_file(PAGE, CORPUS))
    for junk in ("AI에 의해", "쿠키", "개인정보 보호 정책", "Kim Jong-un writing"):
        assert junk not in text, junk
    assert "거부" not in text.splitlines()  # the banner's button, not the word in the text


def test_utf8_bom_and_cp949_decode_to_the_same_text() -> None:
    text = "북한은 4일 극초음속 미사일을 시험 발사했다."
    assert decode(text.encode("utf-8")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode(text.encode("cp949")) == text
    assert decode(text.encode("euc-kr")) == text


def test_binary_file_is_refused_with_its_name() -> None:
    with pytest.raises(UnreadableFile, match=r"photo\.txt"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.txt")


def test_folder_with_bad_files_warns_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("제목입니다\n\n본문 첫 문장이다. 둘째 문장이다.", "utf-8")
    (tmp_path / "korean-cp949.txt").write_bytes(
        "윈도우 기사\n\n시씨피 구사구 본문이다.".encode("cp949")
    )
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "broken.json").write_text("{not json", "utf-8")
    (tmp_path / "notes.csv").write_text("ignored", "utf-8")
    warnings: list[str] = []
    loaded = dict(load_corpus([tmp_path], warnings.append))
    names = sorted(p.name for p in loaded)
    assert names == ["good.txt", "korean-cp949.txt"]
    assert "시씨피 구사구 본문이다." in loaded[tmp_path / "korean-cp949.txt"][0].text
    assert len(warnings) == 2
    assert any("binary.txt" in w and "binary" in w for w in warnings)
    assert any("broken.json" in w and "malformed JSON" in w for w in warnings)


def test_jsonl_records_keep_fields_and_skip_malformed_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": "a1",
                "title": "첫 기사",
                "text": "본문 하나.",
                "url": "https://x/1",
                "published": "2025.12.18",
                "section": "정치",
            },
            ensure_ascii=False,
        ),
        "{this is not json",
        json.dumps({"title": "둘째 기사", "content": "본문 둘."}, ensure_ascii=False),
        json.dumps({"title": "본문 없음"}, ensure_ascii=False),
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
    assert [w.split(":")[0] for w in warnings] == ["feed.jsonl, line 2", "feed.jsonl, line 4"]


def test_content_id_is_stable_and_content_hash_tracks_edits(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps({"title": "t", "text": "본문."}), "utf-8")
    a = load_file(path, tmp_path)[0]
    b = load_file(path, tmp_path)[0]
    assert a.doc_id == b.doc_id and a.content_hash == b.content_hash
    b = dataclasses.replace(b, text=b.text + " 추가.")
    assert a.content_hash != b.content_hash


def test_html_article_without_scripts_or_navigation(tmp_path: Path) -> None:
    html = """<html><head><title>사이트 이름</title>
    <link rel="canonical" href="https://news.example/a/1"></head><body>
    <nav>메뉴 홈 정치</nav><article><h1>부산 불꽃축제 개막</h1>
    <p>부산 불꽃축제에 100만 명이 모였다.</p><script>alert('x')</script>
    <figure><img src=x><figcaption>Crowds at the beach</figcaption></figure>
    <p>주최 측은 안전 요원 3천 명을 배치했다.</p></article><footer>저작권</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, "utf-8")
    [article] = load_file(path, tmp_path)
    assert article.title == "부산 불꽃축제 개막"
    assert article.url == "https://news.example/a/1"
    assert "100만 명이 모였다" in article.text and "3천 명" in article.text
    for junk in ("alert", "메뉴", "저작권", "Crowds"):
        assert junk not in article.text


def test_page_without_related_block_is_one_article() -> None:
    [article] = split_news_page("제목\n\n첫 문장이다. 둘째 문장이다.", "x", "x.txt")
    assert article.title == "제목" and article.text == "제목\n\n첫 문장이다. 둘째 문장이다."


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2025-12-18", "2025-12-18"),
        ("2025.12.18 10:00", "2025-12-18"),
        ("2025년 12월 18일", "2025-12-18"),
        ("2025-13-40", None),
        ("yesterday", None),
    ],
)
def test_dates_normalize_to_iso(raw: str, iso: str | None) -> None:
    assert normalize_date(raw) == iso
