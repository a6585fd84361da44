"""Incremental ingest against a real embedded Chroma: unchanged, changed, deleted, killed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.pipeline.service import Assistant
from assistant.storage.catalog import Catalog
from assistant.storage.store import Store
from tests.fixtures.paths import CORPUS, make_settings


def _articles(n: int, tag: str = "") -> list[dict]:
    return [
        {
            "id": f"art{i}",
            "title": f"{i}번 기사{tag}",
            "text": f"서울시는 {i}일 새 버스 노선 {i * 7}개를 발표했다. 시민 반응은 엇갈렸다{tag}.",
        }
        for i in range(n)
    ]


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")


def _consistent(store: Store) -> None:
    """Chroma and the catalog list the same chunks, and BM25 matches the catalog."""
    _, chunks = store.counts()
    assert store.vectors.chunk_count() == chunks
    assert len(store.lexical()) == chunks
    assert set(store.vectors.chunk_documents()) == store.catalog.chunk_ids()


@pytest.fixture()
def qa(tmp_path: Path, settings) -> Assistant:
    return Assistant(make_settings(tmp_path / "data"))


def test_second_ingest_embeds_nothing(qa: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(CORPUS, folder)
    first = qa.ingest([folder], progress=False)
    assert (first.new, first.changed, first.unchanged) == (8, 0, 0)
    second = qa.ingest([folder], progress=False)
    assert (second.new, second.changed, second.unchanged, second.deleted) == (0, 0, 8, 0)
    assert second.chunks_embedded == 0
    assert second.summary().startswith("0 new, 0 changed, 8 unchanged")
    _consistent(qa.store)


def test_changed_and_deleted_documents_lose_their_old_chunks(qa: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    _write(folder / "a.jsonl", _articles(5))
    (folder / "b.txt").write_text("다른 기사\n\n부산 불꽃축제에 100만 명이 모였다.", "utf-8")
    assert qa.ingest([folder], progress=False).new == 6

    records = _articles(5)
    records[1]["text"] = "서울시는 새 지하철 노선을 취소했다."
    _write(folder / "a.jsonl", records[:4])  # art1 edited, art4 gone
    (folder / "b.txt").unlink()
    report = qa.ingest([folder], progress=False)
    assert (report.new, report.changed, report.unchanged, report.deleted) == (0, 1, 3, 2)
    _consistent(qa.store)
    docs = {d for d, _, _ in qa.store.documents()}
    assert docs == {"news/art0", "news/art1", "news/art2", "news/art3"}  # source/id
    hits = qa.search.search("지하철 노선 취소", k=3)
    assert hits[0].metadata["doc_id"] == "news/art1"
    assert all("불꽃축제" not in h.page_content for h in qa.search.search("불꽃축제", k=5))


def test_a_run_killed_between_chroma_and_catalog_is_completed(
    qa: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    _write(folder / "a.jsonl", _articles(6))

    class Killed(BaseException):
        pass

    def die(self: Catalog, *args, **kwargs) -> None:
        # The Chroma upserts have happened; die before the catalog commit, as SIGKILL would.
        raise Killed()

    monkeypatch.setattr(Catalog, "insert", die)
    with pytest.raises(Killed):
        qa.ingest([folder], progress=False)
    assert qa.store.vectors.chunk_count() > 0  # vectors landed …
    assert qa.store.counts() == (0, 0)  # … but the catalog never listed them

    monkeypatch.undo()
    report = Assistant(qa.settings).ingest([folder], progress=False)
    assert report.new == 6
    _consistent(qa.store)


def test_interrupted_bm25_save_is_rebuilt(qa: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(CORPUS, folder)
    qa.ingest([folder], progress=False)
    meta = qa.store.folder / "bm25" / "meta.json"
    meta.write_text("{truncated", "utf-8")  # a crash mid-write
    fresh = Assistant(qa.settings)
    assert len(fresh.store.lexical()) == fresh.store.counts()[1]
    assert fresh.ask("김정은은 북러 관계를 무엇이라고 표현했나?").citations


def test_another_embedding_model_is_refused(qa: Assistant, tmp_path: Path) -> None:
    from assistant.errors import IndexMismatch

    qa.ingest([CORPUS], progress=False)
    with pytest.raises(IndexMismatch, match="ingest --rebuild"):
        qa.store.check_model("some-other-model", qa.embedder.dim)


def test_rebuild_starts_from_nothing(qa: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(CORPUS, folder)
    qa.ingest([folder], progress=False)
    qa.store.clear()
    assert qa.store.counts() == (0, 0) and qa.store.vectors.chunk_count() == 0
    assert len(qa.store.lexical()) == 0
    report = qa.ingest([folder], progress=False)
    assert report.new == 8
    _consistent(qa.store)


def test_changed_bm25_parameters_rebuild_the_saved_index(qa: Assistant, tmp_path: Path) -> None:
    qa.ingest([CORPUS], progress=False)
    assert qa.store.lexical().params == (qa.settings.bm25_k1, qa.settings.bm25_b)
    other = qa.settings.model_copy(update={"bm25_k1": 1.2, "bm25_b": 0.75})
    assert Store(other).lexical().params == (1.2, 0.75)
