"""The vector index contract, run against Chroma and against the in-memory fake the
Store tests use, plus Chroma's connection handling and closing.

No Chroma server: Chroma runs in-process, as ``EphemeralClient`` (in memory) or as the
embedded ``PersistentClient`` in tmp_path; each starts in about 0.1 s. The server-down
case only needs a closed loopback port. Vectors are seeded random numbers.
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.errors import StoreUnavailable
from assistant.settings import Settings
from assistant.storage import vectors as vectors_module
from assistant.storage.store import Store
from assistant.storage.vectors import ChromaVectors, VectorIndex, unavailable_message
from tests.unit.storage.legacy import has_old_sentences, old_sentences, write_old_sentences
from tests.unit.storage.memory_vectors import MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args, make_doc

CHROMA = ChromaSettings(anonymized_telemetry=False)


def _ephemeral() -> ChromaVectors:
    return ChromaVectors(chromadb.EphemeralClient(settings=CHROMA), f"t-{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["chroma", "memory"])
def index(request: pytest.FixtureRequest) -> Iterator[VectorIndex]:
    vectors: VectorIndex = _ephemeral() if request.param == "chroma" else MemoryVectors()
    yield vectors
    vectors.close()


def _fill(index: VectorIndex, seed: int = 0):
    """Add SEOUL, BUSAN and MISSILE; returns their chunk vectors."""
    docs, chunk_vecs, _, _, _ = add_args([SEOUL, BUSAN, MISSILE], "/c", seed=seed)
    index.add([(a, cs) for a, _, cs in docs], chunk_vecs)
    return chunk_vecs


def test_add_stores_each_chunk_once_and_no_sentences(index: VectorIndex) -> None:
    _fill(index)
    assert index.chunk_count() == 4
    assert index.chunk_documents() == {
        "seoul#0": "seoul",
        "seoul#1": "seoul",
        "busan#0": "busan",
        "missile#0": "missile",
    }
    # sentence vectors live in the catalog now: no sentence collection is written
    assert not has_old_sentences(index) and list(index.legacy_sentences()) == []


def test_upsert_replaces_records_with_the_same_id(index: VectorIndex) -> None:
    _fill(index, seed=0)
    chunk_vecs = _fill(index, seed=10)
    assert index.chunk_count() == 4
    assert index.search(chunk_vecs[3], k=1)[0][0] == "missile#0"


def test_search_returns_cosine_similarities_best_first(index: VectorIndex) -> None:
    chunk_vecs = _fill(index)
    hits = index.search(chunk_vecs[2], k=10)
    assert hits[0][0] == "busan#0" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 4 and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert len(index.search(chunk_vecs[2], k=2)) == 2


def test_search_filters_on_source_and_day(index: VectorIndex) -> None:
    chunk_vecs = _fill(index)
    only_a = index.search(chunk_vecs[2], k=10, where={"source": {"$in": ["news/a.txt"]}})
    assert {c for c, _ in only_a} == {"seoul#0", "seoul#1"}
    dated = {"$and": [{"published_day": {"$gte": 20260105}}, {"published_day": {"$gt": 0}}]}
    assert [c for c, _ in index.search(chunk_vecs[0], k=10, where=dated)] == ["missile#0"]


def test_search_in_an_empty_index_finds_nothing(index: VectorIndex) -> None:
    assert index.search(add_args([SEOUL], "/c")[1][0], k=5) == []


def test_a_search_does_not_count_the_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting costs 50 ms at a million chunks; the search must not do it every time."""
    vectors = _ephemeral()
    try:
        chunk_vecs = _fill(vectors)

        def refuse() -> int:
            raise AssertionError("count() called during a search")

        monkeypatch.setattr(vectors.chunks, "count", refuse)
        assert vectors.search(chunk_vecs[0], k=50)[0][0] == "seoul#0"  # k above the size
    finally:
        vectors.close()


def test_delete_documents_and_chunks(index: VectorIndex) -> None:
    _fill(index)
    index.delete_documents(["seoul", "unknown"])
    assert set(index.chunk_documents()) == {"busan#0", "missile#0"}
    index.delete_chunks(["busan#0"])
    assert set(index.chunk_documents()) == {"missile#0"}
    index.delete_documents([])
    index.delete_chunks([])
    assert index.chunk_count() == 1


def test_clear_leaves_empty_collections_ready_for_writes(index: VectorIndex) -> None:
    _fill(index)
    write_old_sentences(index, old_sentences([SEOUL]))
    index.clear()
    assert index.chunk_count() == 0
    assert not has_old_sentences(index) and list(index.legacy_sentences()) == []
    _fill(index)
    assert index.chunk_count() == 4


def test_legacy_sentences_are_read_in_pages_then_dropped(
    index: VectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors_module, "PAGE", 3)  # Chroma's pages; the fake's hold two
    _fill(index)
    records = old_sentences([SEOUL, BUSAN, MISSILE])
    write_old_sentences(index, records)
    pages = list(index.legacy_sentences())
    assert len(pages) > 1 and all(pages)
    got = dict(pair for page in pages for pair in page)
    assert set(got) == set(records) and sum(len(p) for p in pages) == len(records) == 7
    for sid, (vector, _) in records.items():
        assert got[sid] == pytest.approx(vector, abs=1e-6)
    index.drop_legacy_sentences()
    assert not has_old_sentences(index) and list(index.legacy_sentences()) == []
    index.drop_legacy_sentences()  # nothing left to drop: no error
    assert index.chunk_count() == 4  # the chunks stay


def test_mismatched_vectors_are_refused(index: VectorIndex) -> None:
    docs, chunk_vecs, _, _, _ = add_args([SEOUL], "/c")
    with pytest.raises(ValueError, match="vectors"):
        index.add([(a, cs) for a, _, cs in docs], chunk_vecs[:1])
    assert index.chunk_count() == 0


def test_chroma_metadata_carries_what_filters_and_citations_need() -> None:
    vectors = _ephemeral()
    try:
        _fill(vectors)
        got = vectors.chunks.get(ids=["seoul#1"], include=["metadatas", "documents"])
        meta = got["metadatas"][0]
        assert got["documents"][0] == SEOUL[1][1].text
        assert meta["published_day"] == 20260104 and meta["url"] == "https://example.com/seoul"
        assert (meta["start"], meta["end"], meta["chunk_id"]) == (
            SEOUL[1][1].start,
            SEOUL[1][1].end,
            "seoul#1",
        )
        busan = vectors.chunks.get(ids=["busan#0"], include=["metadatas"])["metadatas"][0]
        assert "url" not in busan and "published" not in busan and busan["published_day"] == 0
    finally:
        vectors.close()


def test_writes_past_one_batch_are_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "BATCH", 3)
    long = make_doc("long", [f"{i}번째 문장이다." for i in range(12)])  # 11 chunks
    docs, chunk_vecs, _, _, _ = add_args([long, SEOUL], "/c")
    vectors = _ephemeral()
    try:
        sizes: list[int] = []
        upsert = vectors.chunks.upsert

        def counted(**kwargs: object) -> None:
            sizes.append(len(kwargs["ids"]))  # type: ignore[arg-type]
            upsert(**kwargs)

        monkeypatch.setattr(vectors.chunks, "upsert", counted)
        vectors.add([(a, cs) for a, _, cs in docs], chunk_vecs)
        assert sizes == [3, 3, 3, 3, 1] and vectors.chunk_count() == 13
        assert vectors.search(chunk_vecs[12], k=1)[0][0] == "seoul#1"
        assert vectors.search(chunk_vecs[0], k=1)[0][0] == "long#0"
    finally:
        vectors.close()


class _Client:
    """A client that names its own batch limit, or cannot (``None``)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit

    def get_max_batch_size(self) -> int:
        if self.limit is None:
            raise AttributeError("an old client")
        return self.limit


def test_a_write_batch_is_never_larger_than_the_client_takes() -> None:
    vectors = _ephemeral()
    try:
        assert vectors._batch() == min(vectors_module.BATCH, vectors._client.get_max_batch_size())
        for limit, want in ((100, 100), (10**6, vectors_module.BATCH), (0, 1), (None, 500)):
            vectors._client = _Client(limit)  # type: ignore[assignment]
            assert vectors._batch() == want, limit
    finally:
        vectors._client = vectors._opened.client
        vectors.close()


def test_close_stops_the_in_memory_system() -> None:
    vectors = _ephemeral()
    _fill(vectors)
    vectors.close()
    fresh = chromadb.EphemeralClient(settings=CHROMA)
    try:
        assert fresh.list_collections() == []  # the old system, and its data, are gone
    finally:
        fresh.close()


def test_embedded_store_persists_across_close_and_reopen(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with Store(settings) as store:
        store.add(*add_args([SEOUL], "/c"))
        assert store.dense_search(add_args([SEOUL], "/c")[1][1], k=1)[0][0] == "seoul#1"
    assert (tmp_path / "chroma").is_dir()
    with Store(settings) as again:
        assert again.vectors.chunk_count() == 2 and again.counts() == (1, 2)


class _Down:
    """A collection whose server has gone away."""

    name = "down"

    def count(self) -> int:
        raise ConnectionError("connection refused")

    def get(self, **_: object) -> dict:
        raise ValueError("Expected where to have exactly one operator")


def test_connection_failures_become_store_unavailable() -> None:
    vectors = ChromaVectors(
        chromadb.EphemeralClient(settings=CHROMA), "t-down", explain=lambda e: f"fix it: {e}"
    )
    try:
        vectors.chunks = _Down()  # type: ignore[assignment]
        with pytest.raises(StoreUnavailable, match="fix it: connection refused"):
            vectors.chunk_count()
        with pytest.raises(ValueError, match="one operator"):  # not a connection problem
            vectors.chunk_documents()
    finally:
        vectors.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down_gives_a_clear_message(tmp_path: Path) -> None:
    port = _free_port()
    with pytest.raises(StoreUnavailable) as info:
        Store(Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=port))
    message = str(info.value)
    assert f"http://127.0.0.1:{port}" in message
    assert "chroma run --path" in message and "ASSISTANT_CHROMA_HOST" in message


def test_the_embedded_store_message_names_its_folder(tmp_path: Path) -> None:
    message = unavailable_message(Settings(data_dir=tmp_path), OSError("disk full"))
    assert str(tmp_path / "chroma") in message and "disk full" in message


def test_both_indexes_offer_every_protocol_method() -> None:
    wanted = {n for n in vars(VectorIndex) if not n.startswith("_")}
    assert {"add", "search", "clear", "close"} <= wanted
    for cls in (ChromaVectors, MemoryVectors):
        assert {n for n in wanted if callable(getattr(cls, n, None))} == wanted, cls


class _Failing:
    """A collection whose every request fails with ``error``."""

    name = "failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def count(self) -> int:
        raise self.error

    def get(self, **_: object) -> dict:
        raise self.error


def test_chroma_errors_become_the_assistants_own(tmp_path: Path) -> None:
    from chromadb.errors import InternalError

    from assistant.errors import IndexDamaged, StaleIndex, StoreFull
    from assistant.storage.faults import Faults

    faults = Faults.of(Settings(data_dir=tmp_path))
    vectors = ChromaVectors(chromadb.EphemeralClient(settings=CHROMA), "t-fail", faults=faults)
    try:
        stale = InternalError("Error executing plan: Internal error: Error finding id")
        vectors.chunks = _Failing(stale)  # type: ignore[assignment]
        with pytest.raises(StaleIndex):
            vectors.chunk_count()
        full = InternalError("error returned from database: (code: 13) database or disk is full")
        vectors.chunks = _Failing(full)  # type: ignore[assignment]
        with pytest.raises(StoreFull, match=re.escape(str(tmp_path))):
            vectors.chunk_count()
        bad = InternalError(
            "error returned from database: (code: 11) database disk image is malformed"
        )
        vectors.chunks = _Failing(bad)  # type: ignore[assignment]
        with pytest.raises(IndexDamaged, match=r"chroma\.sqlite3"):
            vectors.chunk_count()
    finally:
        vectors.close()
