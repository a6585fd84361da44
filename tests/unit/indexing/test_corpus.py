"""load_file and load_corpus: each file read by its suffix; bad files warned about, skipped."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.indexing.corpus import load_corpus, load_file

HTML = """<html><head><title>사이트 이름</title>
<link rel="canonical" href="https://news.example/a/1"></head><body>
<nav>메뉴 홈 정치</nav><article><h1>부산 불꽃축제 개막</h1>
<p>부산 불꽃축제에 100만 명이 모였다.</p><script>alert('x')</script>
<figure><img src=x><figcaption>Crowds at the beach</figcaption></figure>
<p>주최 측은 안전 요원 3천 명을 배치했다.</p></article><footer>저작권</footer></body></html>"""


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


def test_html_article_without_scripts_or_navigation(tmp_path: Path) -> None:
    path = tmp_path / "page.HTML"  # suffixes match in any case
    path.write_text(HTML, "utf-8")
    [article] = load_file(path, tmp_path)
    assert article.title == "부산 불꽃축제 개막"
    assert article.url == "https://news.example/a/1"
    assert article.text == (
        "부산 불꽃축제 개막\n\n부산 불꽃축제에 100만 명이 모였다.\n\n"
        "주최 측은 안전 요원 3천 명을 배치했다."
    )
    for junk in ("alert", "메뉴", "저작권", "Crowds"):
        assert junk not in article.text


def test_ids_and_sources_are_relative_to_the_root(tmp_path: Path) -> None:
    path = tmp_path / "2025" / "12" / "story.md"
    path.parent.mkdir(parents=True)
    path.write_text("제목\n\n본문이다.", "utf-8")
    [article] = load_file(path, tmp_path)
    assert (article.doc_id, article.source) == ("2025/12/story", "2025/12/story.md")
    [elsewhere] = load_file(path, tmp_path / "other")  # not under the root: its name
    assert (elsewhere.doc_id, elsewhere.source) == ("story", "story.md")


def test_bad_jsonl_lines_go_to_the_log_without_a_warn_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "본문."}\n{broken\n', "utf-8")
    with caplog.at_level(logging.WARNING, logger="assistant.indexing.corpus"):
        assert len(load_file(path, tmp_path)) == 1
    assert "feed.jsonl, line 2: skipped" in caplog.text
