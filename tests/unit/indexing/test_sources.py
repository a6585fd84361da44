"""Document identity scoped by source: same-named files in two folders are two documents,
updates and deletes stay inside their source, names are stable and never shared by
accident, and an index written before ids had a source is recognised."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from assistant.errors import IndexOutdated
from assistant.indexing.ingest import Ingester
from assistant.indexing.sources import check_name
from assistant.storage.catalog import ID_SCHEME_KEY
from tests.unit.indexing.ingesting import consistent, doc_ids

SEOUL = "서울 기사\n\n서울시는 새 버스 노선을 발표했다."
BUSAN = "부산 기사\n\n부산 불꽃축제에 100만 명이 모였다."


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, "utf-8")
    return path


def test_same_file_name_in_two_folders_is_two_documents(ingester: Ingester, tmp_path: Path) -> None:
    col_a = _folder(tmp_path / "colA", {"001.txt": SEOUL})
    col_b = _folder(tmp_path / "colB", {"001.txt": BUSAN})
    assert ingester.run([col_a], progress=False).new == 1
    second = ingester.run([col_b], progress=False)
    assert (second.new, second.changed, second.deleted) == (1, 0, 0)  # was "1 changed"
    assert doc_ids(ingester) == ["colA/001", "colB/001"]
    assert ingester.store.document_text("colA/001") == SEOUL

    (col_b / "001.txt").unlink()
    third = ingester.run([col_b], progress=False)
    assert third.deleted == 1
    assert doc_ids(ingester) == ["colA/001"]  # colA's article is still there …
    assert ingester.store.files_under(["colA:" + str(col_a.resolve())])  # … and its file
    assert ingester.store.files_under(["colB:" + str(col_b.resolve())]) == []
    consistent(ingester.store)


def test_citation_source_is_the_file_scoped_by_its_source(
    ingester: Ingester, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "news", {"sub/001.txt": SEOUL})
    ingester.run([folder], progress=False)
    documents = [(d, s) for d, _, s in ingester.store.documents()]
    assert documents == [("news/sub/001", "news/sub/001.txt")]  # issue 20: was "sub/001.txt"


def test_a_name_bound_to_another_folder_gets_a_number_and_keeps_it(
    ingester: Ingester, tmp_path: Path
) -> None:
    first = _folder(tmp_path / "x" / "news", {"a.txt": SEOUL})
    second = _folder(tmp_path / "y" / "news", {"a.txt": BUSAN})
    assert ingester.run([first], progress=False).sources == {"news": str(first.resolve())}
    report = ingester.run([second], progress=False)
    assert report.sources == {"news-2": str(second.resolve())} and report.new == 1
    again = ingester.run([second], progress=False)  # the same folder, the same name
    assert (again.new, again.unchanged, list(again.sources)) == (0, 1, ["news-2"])
    assert doc_ids(ingester) == ["news-2/a", "news/a"]


def test_explicit_source_name(ingester: Ingester, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "incoming", {"a.txt": SEOUL})
    assert ingester.run([folder], source="wire", progress=False).new == 1
    assert doc_ids(ingester) == ["wire/a"]
    # the folder is now bound to "wire": ingesting it again without a name updates it
    (folder / "a.txt").write_text(BUSAN, "utf-8")
    report = ingester.run([folder], progress=False)
    assert (report.new, report.changed, list(report.sources)) == (0, 1, ["wire"])
    assert doc_ids(ingester) == ["wire/a"]


@pytest.mark.parametrize("bad", ["", "  ", "a/b", "tab\there"])
def test_unusable_source_names_are_refused(ingester: Ingester, tmp_path: Path, bad: str) -> None:
    folder = _folder(tmp_path / "news", {"a.txt": SEOUL})
    with pytest.raises(ValueError, match="not a source name"):
        ingester.run([folder], source=bad, progress=False)
    assert ingester.store.counts() == (0, 0)


def test_source_names_are_trimmed_and_nfc() -> None:
    assert check_name("  뉴스 ") == "뉴스"
    assert check_name("\u1102\u1172\u1109\u1173") == "뉴스"  # NFD (macOS folder names)


def test_a_file_given_by_name_belongs_to_its_folders_source(
    ingester: Ingester, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "news", {"a.txt": SEOUL, "b.txt": BUSAN})
    ingester.run([folder], progress=False)
    (folder / "a.txt").write_text(SEOUL + " 노선은 내달 개통한다.", "utf-8")
    report = ingester.run([folder / "a.txt"], progress=False)
    assert (report.new, report.changed, report.deleted) == (0, 1, 0)  # b.txt untouched
    assert doc_ids(ingester) == ["news/a", "news/b"]


def test_a_subfolder_ingested_apart_is_its_own_source(ingester: Ingester, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "news", {"a.txt": SEOUL})
    _folder(folder / "sub", {"b.txt": BUSAN})
    ingester.run([folder], progress=False)
    report = ingester.run([folder / "sub"], progress=False)
    assert report.new == 1
    assert doc_ids(ingester) == ["news/a", "news/sub/b", "sub/b"]
    (folder / "sub" / "b.txt").unlink()
    assert ingester.run([folder / "sub"], progress=False).deleted == 1
    assert doc_ids(ingester) == ["news/a", "news/sub/b"]  # news is not touched …
    assert ingester.run([folder], progress=False).deleted == 1  # … until it is ingested
    consistent(ingester.store)


def test_json_record_ids_are_scoped_too(ingester: Ingester, tmp_path: Path) -> None:
    record = {"id": "42", "title": "같은 번호", "text": "서울시는 새 버스 노선을 발표했다."}
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "feed.jsonl").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
        assert ingester.run([folder], progress=False).new == 1
    assert doc_ids(ingester) == ["a/42", "b/42"]


def test_a_record_id_held_by_another_file_is_not_taken(ingester: Ingester, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    record = {"id": "42", "text": "서울시는 새 버스 노선을 발표했다."}
    (folder / "one.jsonl").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    ingester.run([folder], progress=False)
    other = {"id": "42", "text": "부산 불꽃축제에 100만 명이 모였다."}
    (folder / "two.jsonl").write_text(json.dumps(other, ensure_ascii=False), "utf-8")
    report = ingester.run([folder / "two.jsonl"], progress=False)
    assert report.new == report.changed == 0
    assert any("'news/42' also in" in w and "one.jsonl" in w for w in report.warnings)
    assert "서울시" in (ingester.store.document_text("news/42") or "")


def test_a_record_moved_between_files_is_kept(ingester: Ingester, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    record = json.dumps({"id": "7", "text": "서울시는 새 노선을 발표했다."}, ensure_ascii=False)
    filler = json.dumps({"id": "8", "text": "부산 불꽃축제가 열렸다."}, ensure_ascii=False)
    (folder / "a.jsonl").write_text(filler, "utf-8")
    (folder / "b.jsonl").write_text(record, "utf-8")
    ingester.run([folder], progress=False)
    (folder / "a.jsonl").write_text(filler + "\n" + record, "utf-8")  # moved to a.jsonl,
    (folder / "b.jsonl").write_text("", "utf-8")  # which is read first
    report = ingester.run([folder], progress=False)
    assert report.warnings == []
    assert doc_ids(ingester) == ["news/7", "news/8"]
    consistent(ingester.store)


def test_an_index_with_unscoped_ids_is_refused_with_the_folders_to_rebuild(
    ingester: Ingester, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "my news", {"a.txt": SEOUL})
    ingester.run([folder], progress=False)
    # what an index written before ids had a source looks like: documents keyed by their
    # absolute path, and no mark
    with contextlib.closing(sqlite3.connect(ingester.store.catalog.path)) as db, db:
        db.execute("DELETE FROM meta WHERE key = ?", (ID_SCHEME_KEY,))
        db.execute("UPDATE docs SET path = ?, source = 'a.txt'", (str(folder.resolve() / "a.txt"),))
    with pytest.raises(IndexOutdated) as caught:
        ingester.run([folder], progress=False)
    message = str(caught.value)
    assert "assistant ingest --rebuild" in message
    assert f"'{folder.resolve()}'" in message  # quoted: the name has a space
    ingester.store.clear()  # what --rebuild does first
    assert ingester.run([folder], progress=False).new == 1
    assert doc_ids(ingester) == ["my news/a"]
