"""The index on bad days, through the real stack: damaged files, a read-only folder, a full
disk. Before issue 9 these ended in ``database disk image is malformed`` (even from
``ingest --rebuild``), a 129-line traceback, ``IndexError`` on every question, or
Chroma's ``Error in compaction…`` with nothing saying the disk was full.

The read-only and full-disk tests mount a real read-only bind mount and a real small
tmpfs (this needs root, as CI has; elsewhere they are skipped).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.errors import IndexDamaged, StoreFull
from assistant.pipeline.service import Assistant
from assistant.storage.lexical import LexicalIndex
from assistant.storage.repair import reset_index
from tests.fixtures.cli import run_cli
from tests.fixtures.paths import CORPUS, make_settings

QUESTION = "러시아의 평양 주재 대사는 누구였나?"


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real CLI with a wide terminal, so messages are not wrapped."""
    return run_cli(data_dir, *args, columns=400)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture()
def data_dir(tmp_path: Path, analyzer) -> Path:
    """A fresh index of the bundled corpus (built in this process: the CLI is slower)."""
    path = tmp_path / "data"
    with Assistant(make_settings(path), analyzer=analyzer) as qa:
        assert qa.ingest([CORPUS], progress=False).new == 8
    return path


def test_a_truncated_catalog_is_named_and_rebuild_repairs_it(data_dir: Path) -> None:
    catalog = data_dir / "index" / "news" / "catalog.sqlite"
    os.truncate(catalog, catalog.stat().st_size // 2)
    for args in (("ask", QUESTION), ("ingest", "--quiet", str(CORPUS))):
        result = run(data_dir, *args)
        assert result.returncode == 1, result.stdout
        message = _flat(result.stderr)
        assert f"The index file {catalog} is damaged" in message
        assert "assistant ingest --rebuild" in message and "Traceback" not in message
    rebuilt = run(data_dir, "ingest", "--rebuild", "--quiet", str(CORPUS))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("8 new")
    assert "deleted the damaged catalog" in _flat(rebuilt.stderr)
    assert "마체고라" in run(data_dir, "ask", QUESTION).stdout


def test_a_damaged_chroma_store_is_named_and_rebuild_sets_it_aside(
    data_dir: Path, analyzer
) -> None:
    chroma = data_dir / "chroma" / "chroma.sqlite3"
    os.truncate(chroma, chroma.stat().st_size // 3)
    settings = make_settings(data_dir)
    with pytest.raises(IndexDamaged) as info:
        Assistant(settings, analyzer=analyzer)
    assert f"The index file {chroma} is damaged" in str(info.value)
    assert "assistant ingest --rebuild" in str(info.value)
    notes = reset_index(settings)  # what `ingest --rebuild` does first
    assert len(notes) == 1 and "set the damaged Chroma store aside" in notes[0]
    assert len(list(data_dir.glob("chroma.damaged-*"))) == 1
    with Assistant(settings, analyzer=analyzer) as qa:
        assert qa.ingest([CORPUS], progress=False).new == 8
        assert "마체고라" in qa.ask(QUESTION).text


def _cut_bm25_ids(folder: Path) -> int:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    chunks = len(meta["chunk_ids"])
    meta["chunk_ids"] = meta["chunk_ids"][:3]
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return chunks


def test_bm25_ids_cut_short_are_rebuilt_by_ask_and_ingest(data_dir: Path, analyzer) -> None:
    folder = data_dir / "index" / "news" / "bm25"
    chunks = _cut_bm25_ids(folder)
    with Assistant(make_settings(data_dir), analyzer=analyzer) as qa:
        answer = qa.ask(QUESTION)  # was IndexError on every question
        assert answer.status == "answered" and "마체고라" in answer.text
    _cut_bm25_ids(folder)
    with Assistant(make_settings(data_dir), analyzer=analyzer) as qa:
        report = qa.ingest([CORPUS], progress=False)  # nothing to embed, and yet …
        assert (report.new, report.unchanged) == (0, 8)
    repaired = LexicalIndex.load(folder)
    assert repaired is not None and len(repaired) == chunks  # … the files are fixed


@contextmanager
def _mounted(*args: str) -> Iterator[None]:
    """Run ``mount ARGS``; skip the test where this machine does not allow it."""
    target = args[-1]
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", target], capture_output=True, check=False)


def test_a_read_only_data_dir_still_answers(data_dir: Path, tmp_path: Path) -> None:
    """A read-only bind mount of a built index (the root of CI is no barrier to chmod)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    copies = Path(tempfile.gettempdir())
    before = set(copies.glob("assistant-chroma-*"))
    with _mounted("--bind", str(data_dir), str(ro)), _mounted("-o", "remount,bind,ro", str(ro)):
        assert not os.access(ro, os.W_OK)
        answered = run(ro, "ask", QUESTION)
        assert answered.returncode == 0, answered.stderr[-3000:]
        assert "마체고라" in answered.stdout and "Traceback" not in answered.stderr
        assert "is read-only, and Chroma cannot open a folder it may not write" in _flat(
            answered.stderr
        )  # what works instead, said once
        refused = run(ro, "ingest", "--quiet", str(CORPUS))
        assert refused.returncode == 1
        assert f"DATA_DIR ({ro}) is read-only" in _flat(refused.stderr)
        assert "Traceback" not in refused.stderr
    assert set(copies.glob("assistant-chroma-*")) == before  # the copies are gone


def _articles(folder: Path, n: int) -> Path:
    folder.mkdir()
    records = [
        {
            "id": f"isle{i}",
            "title": f"섬 소식 {i}",
            "text": f"울릉군은 제{i}회 섬 축제를 {i % 12 + 1}월에 연다고 밝혔다. "
            f"축제에는 관광객 {i + 1}천 명이 찾을 것으로 보인다. 군은 여객선을 늘린다.",
        }
        for i in range(n)
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    (folder / "isles.jsonl").write_text(text, "utf-8")
    return folder


def _fill(path: Path, leave: int) -> None:
    """Fill the file system of ``path`` until ENOSPC, then free ``leave`` bytes."""
    with path.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    if leave:
        os.truncate(path, max(0, path.stat().st_size - leave))


@pytest.mark.parametrize(
    ("leave", "reserve_mb"), [(0, 0), (1 << 20, 4)], ids=["full", "below-reserve"]
)
def test_a_full_disk_is_one_clear_error_and_the_index_stays_as_it_was(
    tmp_path: Path, leave: int, reserve_mb: int
) -> None:
    """A real 12 MB tmpfs. ``full``: filled to the last byte with the free-space check off,
    so SQLite's or Chroma's own error is what is mapped. ``below-reserve``: 1 MB left, under
    ``min_free_disk_mb``, so the write is refused before it starts (with the check off,
    Chroma's upsert hung for good there)."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mnt)):
        data_dir = mnt / "data"
        isles = _articles(tmp_path / "isles", 40)
        qa = Assistant(make_settings(data_dir, min_free_disk_mb=reserve_mb))
        try:
            assert qa.ingest([CORPUS], progress=False).new == 8
            before = (qa.store.counts(), qa.store.catalog.chunk_ids())
            _fill(mnt / "filler", leave)
            with pytest.raises(StoreFull) as info:
                qa.ingest([isles], progress=False)
            assert f"The disk holding DATA_DIR ({data_dir}) is full" in str(info.value)
            refused_early = "writes stop below 4 MB" in str(info.value)
            assert refused_early == bool(reserve_mb)
            assert refused_early or info.value.__cause__ is not None  # SQLite's, Chroma's, OS's
            assert (qa.store.counts(), qa.store.catalog.chunk_ids()) == before
            assert "마체고라" in qa.ask(QUESTION).text  # still answers meanwhile
            # … and so does a new process (issue 20: `ask` failed with the ingest's "batch
            # being written was not recorded", since embedded Chroma writes when it opens)
            env = {"ASSISTANT_MIN_FREE_DISK_MB": str(reserve_mb)}
            asked = run_cli(data_dir, "ask", QUESTION, env=env, columns=400)
            assert asked.returncode == 0, asked.stderr[-3000:]
            assert "마체고라" in asked.stdout and "was not recorded" not in asked.stderr
            refused = run_cli(data_dir, "ingest", "--quiet", str(isles), env=env, columns=400)
            assert refused.returncode == 1 and "is full" in _flat(refused.stderr)
            assert (qa.store.counts(), qa.store.catalog.chunk_ids()) == before
            (mnt / "filler").unlink()
            qa.store.reconcile()  # what the next ingest starts with
            assert set(qa.store.vectors.chunk_documents()) == before[1]  # as before the batch
            report = qa.ingest([isles], progress=False)  # space freed: it goes in
            assert report.new == 40
            answer = qa.ask("울릉군 섬 축제에는 관광객이 몇 명 찾나?")
            assert answer.citations and answer.citations[0].title.startswith("섬 소식")
        finally:
            qa.close()
            shutil.rmtree(data_dir, ignore_errors=True)
