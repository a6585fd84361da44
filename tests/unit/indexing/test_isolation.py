"""Per-file isolation: whatever goes wrong reading, parsing or chunking one file, or a file
over a limit, becomes a warning naming the file and the reason, and the rest is ingested.
Real files on disk; the embedder and vector index are fakes (see ``ingesting``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import tiktoken

from assistant.indexing import embedding
from assistant.indexing.ingest import Ingester
from assistant.indexing.limits import Limits
from assistant.settings import Settings
from assistant.text.korean import KoreanAnalyzer
from tests.unit.indexing.ingesting import PassageEmbedder, consistent, doc_ids, make_ingester

GOOD = "좋은 기사\n\n서울시는 새 버스 노선을 발표했다. 시민 반응은 엇갈렸다."
DEEP = "[" * 10000 + "]" * 10000


def _news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    return folder


def test_json_nested_ten_thousand_levels_is_skipped(ingester: Ingester, tmp_path: Path) -> None:
    folder = _news(tmp_path)
    (folder / "deep.json").write_text(DEEP, "utf-8")  # was a RecursionError, nothing ingested
    record = json.dumps({"id": "1", "text": "부산 불꽃축제가 열렸다."}, ensure_ascii=False)
    (folder / "feed.jsonl").write_text(f"{record}\n{DEEP}\n", "utf-8")
    report = ingester.run([folder], progress=False)
    assert doc_ids(ingester) == ["news/1", "news/good"]
    assert len(report.warnings) == 2
    deep, line = report.warnings
    assert "deep.json" in deep and "nested 10,000 levels" in deep
    assert "ingest_max_json_depth" in deep
    assert line.startswith("feed.jsonl, line 2: skipped") and "ingest_max_json_depth" in line
    consistent(ingester.store)


def test_nesting_within_the_limit_is_read(ingester: Ingester, tmp_path: Path) -> None:
    folder = _news(tmp_path)
    record = {"text": "부산 불꽃축제에 100만 명이 모였다.", "tags": [[["a"]]], "x": "[[[[[[[["}
    (folder / "ok.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    report = ingester.run([folder], progress=False)
    assert report.warnings == [] and report.new == 2


def test_a_file_name_that_is_not_utf8(ingester: Ingester, tmp_path: Path) -> None:
    folder = _news(tmp_path)
    raw = os.path.join(os.fsencode(folder), b"\xff\xfe.txt")  # as a Linux tool could leave it
    with open(raw, "wb") as fh:  # was a UnicodeEncodeError, nothing ingested
        fh.write("이상한 이름의 기사\n\n부산 불꽃축제에 100만 명이 모였다.".encode())
    first = ingester.run([folder], progress=False)
    assert (first.new, first.warnings) == (2, [])
    assert doc_ids(ingester) == ["news/\\xff\\xfe", "news/good"]
    sources = {s for _, _, s in ingester.store.documents()}
    assert "news/\\xff\\xfe.txt" in sources
    again = ingester.run([folder], progress=False)  # the same key on every run
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    os.unlink(raw)
    assert ingester.run([folder], progress=False).deleted == 1
    assert doc_ids(ingester) == ["news/good"]


def test_a_file_over_the_size_limit_is_skipped_at_once(ingester: Ingester, tmp_path: Path) -> None:
    folder = _news(tmp_path)
    with (folder / "huge.txt").open("w", encoding="utf-8") as fh:  # 50 MB on one line
        fh.write("가나다라마바사 " * (50_000_000 // 22 + 1))
    started = time.perf_counter()
    report = ingester.run([folder], progress=False)
    assert time.perf_counter() - started < 10  # was minutes inside kiwipiepy, no message
    assert doc_ids(ingester) == ["news/good"]
    (warning,) = report.warnings
    assert "huge.txt" in warning and "50.0 MB is over the limit of 20 MB per file" in warning
    assert "ingest_max_file_bytes" in warning


def test_a_document_over_the_length_limit_is_skipped(
    tmp_path: Path, analyzer: KoreanAnalyzer, encoding: tiktoken.Encoding
) -> None:
    ing = make_ingester(tmp_path / "data", analyzer, encoding, Limits(max_document_chars=500))
    folder = _news(tmp_path)
    (folder / "long.txt").write_text("긴 기사\n\n" + "버스 노선을 발표했다. " * 100, "utf-8")
    records = [
        {"id": "short", "text": "부산 불꽃축제에 100만 명이 모였다."},
        {"id": "long", "text": "부산 불꽃축제가 열렸다. " * 100},
    ]
    (folder / "feed.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8"
    )
    report = ing.run([folder], progress=False)
    assert doc_ids(ing) == ["news/good", "news/short"]
    long_record, long_file = report.warnings  # files are read in name order
    assert "long.txt: 1,306 characters is over the limit of 500" in long_file
    assert long_record.startswith("skipped feed.jsonl (long): 1,399 characters")
    assert all("(setting ingest_max_document_chars)" in w for w in report.warnings)
    ing.store.close()


def test_a_link_out_of_the_folder_is_not_followed(ingester: Ingester, tmp_path: Path) -> None:
    folder = _news(tmp_path)
    os.symlink("/etc/passwd", folder / "passwd.txt")  # was followed and ingested
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("비밀 기사\n\n들어가면 안 된다.", "utf-8")
    os.symlink(outside, folder / "linked-folder")
    os.symlink(folder / "good.txt", folder / "alias.txt")  # inside: an ordinary file
    report = ingester.run([folder], progress=False)
    assert doc_ids(ingester) == ["news/alias", "news/good"]
    assert len(report.warnings) == 2
    assert any("passwd.txt" in w and "/etc/passwd, outside" in w for w in report.warnings)
    assert any("linked-folder" in w and "outside" in w for w in report.warnings)


def test_any_error_in_one_file_costs_only_that_file(
    ingester: Ingester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _news(tmp_path)
    (folder / "bad.txt").write_text("나쁜 기사\n\n이 파일은 쪼갤 수 없다.", "utf-8")
    real_split = ingester.chunker.split

    def split(article):  # a bug in one document's chunking, not a known bad input
        if "쪼갤 수 없다" in article.text:
            raise IndexError("list index out of range")
        return real_split(article)

    monkeypatch.setattr(ingester.chunker, "split", split)
    report = ingester.run([folder], progress=False)
    assert doc_ids(ingester) == ["news/good"]
    assert report.warnings == [f"skipped {folder / 'bad.txt'}: IndexError: list index out of range"]
    consistent(ingester.store)
    monkeypatch.undo()  # the file was not recorded, so the next run takes it
    assert ingester.run([folder], progress=False).new == 1


@pytest.mark.parametrize("mode", ["separate", "pooled"])
def test_embedding_moves_in_slices_on_a_big_file(
    ingester: Ingester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(embedding, "EMBED_SLICE", 8)
    embedder = ingester.embedder
    assert isinstance(embedder, PassageEmbedder)
    embedder.settings = Settings(sentence_vectors=mode)  # type: ignore[arg-type]
    folder = tmp_path / "news"
    folder.mkdir()
    sentences = " ".join(f"서울시는 {i}번 버스 노선을 새로 발표했다." for i in range(400))
    (folder / "big.txt").write_text("큰 기사\n\n" + sentences, "utf-8")
    report = ingester.run([folder], progress=False)
    assert report.chunks_embedded > 16  # several slices of chunks …
    # … none bigger than one slice (the bar moves after each). "pooled": one pass per
    # chunk gives its sentences' vectors too; "separate": each slice of chunks, then the
    # sentences first seen in them, get passes of their own
    calls = embedder.chunk_calls if mode == "pooled" else embedder.calls
    chunk_calls = calls if mode == "pooled" else calls[0::2]
    assert max(chunk_calls) <= 8 and len(chunk_calls) > 2
    assert sum(chunk_calls) == report.chunks_embedded
    embedded = report.chunks_embedded + (0 if mode == "pooled" else report.sentences_embedded)
    assert sum(calls) == embedded
    assert (embedder.chunk_calls == []) == (mode == "separate")
    assert report.sentences_embedded >= 400  # every sentence once, though chunks overlap
    _, chunks = ingester.store.counts()
    assert chunks == report.chunks_embedded
    assert ingester.store.catalog.sentence_count() == report.sentences_embedded
