"""Two processes on one index, played by two ``Store`` objects on one folder (a real
SQLite catalog each, in-memory vectors): a reader notices the other's writes and reopens,
its own writes cause no reopen, a stale vector read is retried once, a replaced catalog
file is reopened, writers wait for each other's file lock (held by a real second
process), and a catalog this process may only read is read but never written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.errors import IndexBusy, IndexDamaged, StaleIndex, StoreReadOnly
from assistant.settings import Settings
from assistant.storage import sqlite_file
from assistant.storage.catalog import Catalog
from assistant.storage.chroma_client import Opened
from assistant.storage.keys import sentence_id, unique_sentences
from assistant.storage.store import Store
from assistant.storage.vectors import ChromaVectors
from assistant.storage.write_lock import LOCK_NAME
from tests.unit.storage.memory_vectors import MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args

A, B = "/corpus/a.txt", "/corpus/b.txt"


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture()
def pair(settings: Settings) -> Iterator[tuple[Store, Store]]:
    """(reader, writer): the serving process and the one that ingests."""
    with (
        Store(settings, vectors=MemoryVectors()) as reader,
        Store(settings, vectors=MemoryVectors()) as writer,
    ):
        yield reader, writer


def _reopened(store: Store) -> int:
    vectors = store.vectors
    assert isinstance(vectors, MemoryVectors)
    return vectors.reopened


def test_a_reader_reopens_after_another_process_writes(pair: tuple[Store, Store]) -> None:
    reader, writer = pair
    reader.add(*add_args([SEOUL], A))
    assert len(reader.lexical()) == 2
    writer.add(*add_args([BUSAN], B))
    assert _reopened(reader) == 0  # nothing is checked until the reader reads
    lexical = reader.lexical()
    assert _reopened(reader) == 1 and len(lexical) == 3  # BM25 follows the catalog
    assert lexical.search(["불꽃축제에"], 3)[0][0] == "busan#0"
    reader.dense_search(np.ones(8, dtype=np.float32), 3)
    reader.get_chunks(["busan#0"])
    busan = [sentence_id("busan", s) for s in unique_sentences(BUSAN[1])]
    assert set(reader.sentence_vectors(busan)) == set(busan)  # the writer's, from the catalog
    assert _reopened(reader) == 1  # once per change, not once per read


def test_own_writes_cause_no_reopen(pair: tuple[Store, Store]) -> None:
    reader, _ = pair
    reader.add(*add_args([SEOUL], A))
    reader.forget(["seoul"], [A])
    reader.add(*add_args([BUSAN], B))
    reader.reconcile()
    assert not reader.refresh() and _reopened(reader) == 0
    assert len(reader.lexical()) == 1


class StaleVectors(MemoryVectors):
    """Chroma's view after another process wrote: reads fail until ``stale`` reopens."""

    def __init__(self, stale: int) -> None:
        super().__init__()
        self.stale = stale

    def search(self, vector, k, where=None):  # type: ignore[no-untyped-def]
        if self.stale > self.reopened:
            raise StaleIndex("Error executing plan: Internal error: Error finding id")
        return super().search(vector, k, where)


def test_a_stale_read_is_retried_once_after_reopening(settings: Settings) -> None:
    with Store(settings, vectors=StaleVectors(stale=1)) as store:
        args = add_args([SEOUL], A)
        store.add(*args)
        assert store.dense_search(args[1][1], k=1)[0][0] == "seoul#1"
        assert _reopened(store) == 1


def test_sentence_vectors_are_read_from_the_catalog_not_the_vector_index(
    settings: Settings,
) -> None:
    with Store(settings, vectors=StaleVectors(stale=5)) as store:  # Chroma would fail
        store.add(*add_args([SEOUL], A))
        key = sentence_id("seoul", SEOUL[1][0].sentences[0])
        assert list(store.sentence_vectors([key, "nope@0"])) == [key]
        assert _reopened(store) == 0


def test_a_read_still_stale_after_reopening_names_the_store_to_rebuild(
    settings: Settings,
) -> None:
    with (
        Store(settings, vectors=StaleVectors(stale=2)) as store,
        pytest.raises(IndexDamaged) as info,
    ):
        store.dense_search(np.ones(8, dtype=np.float32), 3)
    message = str(info.value)
    assert str(settings.data_dir / "chroma") in message and "ingest --rebuild" in message


def test_a_catalog_file_replaced_by_another_process_is_reopened(
    pair: tuple[Store, Store], settings: Settings, tmp_path: Path
) -> None:
    reader, _ = pair
    reader.add(*add_args([SEOUL], A))
    fresh = Catalog(tmp_path / "new.sqlite")  # a rebuild elsewhere, swapped in whole
    listed, _, sentence_vecs, terms, files = add_args([BUSAN], B)
    fresh.insert(listed, terms, files, sentence_vecs)
    fresh.close()
    os.replace(tmp_path / "new.sqlite", settings.index_dir / "catalog.sqlite")
    assert set(reader.get_chunks(["seoul#0", "busan#0"])) == {"busan#0"}
    assert list(reader.sentence_vectors(["seoul@0", "busan@0"])) == ["busan@0"]
    assert reader.counts() == (1, 1) and _reopened(reader) == 1


def _hold_lock(settings: Settings, seconds: float) -> subprocess.Popen:
    """Another process holding the data folder's write lock for ``seconds``."""
    code = (
        "import sys, time\nfrom filelock import FileLock\n"
        "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))"
    )
    path = str(settings.data_dir / LOCK_NAME)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_writer_waits_for_another_process_holding_the_lock(settings: Settings) -> None:
    with Store(settings, vectors=MemoryVectors()) as store:
        other = _hold_lock(settings, 0.8)
        started = time.monotonic()
        store.add(*add_args([SEOUL], A))
        waited = time.monotonic() - started
        other.wait(timeout=10)
        assert waited > 0.5 and store.generation == 1


def test_a_writer_gives_up_with_a_clear_message_after_the_timeout(settings: Settings) -> None:
    quick = settings.model_copy(update={"index_lock_timeout": 0.3})
    with Store(quick, vectors=MemoryVectors()) as store:
        other = _hold_lock(settings, 3)
        try:
            with pytest.raises(IndexBusy, match="Another process is still writing") as info:
                store.add(*add_args([SEOUL], A))
        finally:
            other.kill()
            other.wait()
        assert store.counts() == (0, 0)
    assert str(settings.data_dir / LOCK_NAME) in str(info.value)


def test_a_read_only_catalog_is_read_and_never_written(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read-only is simulated by ``sqlite_file.writable``; tests run as root, to whom
    file modes are no barrier (the integration test uses a read-only mount)."""
    with Store(settings, vectors=MemoryVectors()) as store:
        store.add(*add_args([SEOUL, MISSILE], A))
    bm25 = settings.index_dir / "bm25"
    assert not bm25.exists()  # nothing has asked for BM25 yet
    monkeypatch.setattr(sqlite_file, "writable", lambda path: False)
    with Store(settings, vectors=MemoryVectors()) as store:
        assert store.catalog.read_only and store.counts() == (2, 3)
        assert store.lexical().search(["미사일을"], 2)[0][0] == "missile#0"
        assert not bm25.exists()  # built in memory, not saved
        with pytest.raises(StoreReadOnly, match="read-only") as info:
            store.add(*add_args([BUSAN], B))
        assert str(settings.data_dir) in str(info.value)


def test_a_read_only_chroma_copy_is_never_written(settings: Settings, tmp_path: Path) -> None:
    """A writable catalog beside a Chroma folder read from a temporary copy: a write would
    land in the copy and be lost, so it is refused; the copy goes on close."""
    copy = tmp_path / "copy"
    copy.mkdir()
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    vectors = ChromaVectors(Opened(client, copy), "t-read-only")
    with Store(settings, vectors=vectors) as store:
        assert vectors.read_only and not store.catalog.read_only
        with pytest.raises(StoreReadOnly):
            store.add(*add_args([SEOUL], A))
        assert store.counts() == (0, 0) and vectors.chunk_count() == 0
    assert not copy.exists()
