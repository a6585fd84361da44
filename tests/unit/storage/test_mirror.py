"""The server catalog and a replica's cache of it, on a real Chroma running in-process
(``EphemeralClient``; no server process, no model): logged writes, incremental and full
syncs, a writer stopped between its log entry and the head."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.storage import mirror
from assistant.storage.catalog import Catalog
from assistant.storage.server_catalog import HEAD, ServerCatalog, Write
from assistant.storage.server_records import encode, records
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args


def _call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    return fn(*args, **kwargs)


@pytest.fixture()
def server() -> Iterator[ServerCatalog]:
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    yield ServerCatalog(client, f"t-{uuid.uuid4().hex[:8]}", _call)
    client.close()  # stops the in-memory system, as test_vectors expects of every test


def _put(server: ServerCatalog, docs, path: str, sha: str = "sha", seed: int = 0) -> int:
    listed, _, sentence_vecs, terms, files = add_args(docs, path, sha, seed=seed)
    return server.write(Write(put_docs=records(listed, terms, sentence_vecs), put_files=files))


def _replica(tmp_path: Path, name: str) -> Catalog:
    (tmp_path / name).mkdir()
    return Catalog(tmp_path / name / "catalog.sqlite")


def test_each_write_is_one_generation_and_the_log_names_what_it_touched(server) -> None:
    assert server.head() is None
    assert _put(server, [SEOUL], "a.txt") == 1
    assert server.write(Write(drop_docs=["seoul"], drop_files=["a.txt"])) == 2
    index, gen = server.head() or ("", 0)
    assert gen == 2 and index
    changes = server.changes(0, 2)
    assert changes.doc_ids == ("seoul",) and changes.paths == ("a.txt",) and not changes.full
    assert server.changes(1, 2).doc_ids == ("seoul",)
    assert server.documents(["seoul"]) == [] and server.files(None) == {}


def test_a_replica_reads_everything_then_only_what_changed(server, tmp_path: Path) -> None:
    _put(server, [SEOUL, MISSILE], "a.txt")
    server.write(Write(meta={"embedding_model": "e5"}, sources=[("news", "/data/news")]))
    replica = _replica(tmp_path, "r1")
    assert mirror.sync(replica, server) is True
    assert replica.doc_ids() == {"seoul", MISSILE[0].doc_id}
    assert replica.file_sha("a.txt") == "sha" and replica.meta("embedding_model") == "e5"
    assert replica.sources() == {"news": ["/data/news"]}
    assert mirror.sync(replica, server) is False  # nothing new: one request
    gen_before = replica.generation

    _put(server, [BUSAN], "b.txt", sha="sha-b", seed=3)
    server.write(Write(drop_docs=["seoul"]))
    assert mirror.sync(replica, server) is True
    assert replica.doc_ids() == {MISSILE[0].doc_id, BUSAN[0].doc_id}
    assert replica.file_sha("b.txt") == "sha-b"
    assert replica.generation > gen_before  # the local BM25 index sees it moved
    assert mirror.synced_at(replica)[1] == 4
    # the cache holds what the answerer reads: chunks and sentence vectors
    _, _, sentence_vecs, _, _ = add_args([BUSAN], "b.txt", seed=3)
    chunk_ids = [c.chunk_id for c in BUSAN[1]]
    assert set(replica.get_chunks(chunk_ids)) == set(chunk_ids)
    first = BUSAN[1][0].sentences[0].start
    got = replica.sentence_vectors([(BUSAN[0].doc_id, first)])[(BUSAN[0].doc_id, first)]
    np.testing.assert_allclose(got, sentence_vecs[0], atol=1e-2)


def test_two_replicas_end_equal_whatever_they_saw_in_between(server, tmp_path: Path) -> None:
    early, late = _replica(tmp_path, "early"), _replica(tmp_path, "late")
    _put(server, [SEOUL], "a.txt")
    mirror.sync(early, server)
    _put(server, [SEOUL, BUSAN], "a.txt", sha="sha2", seed=5)  # a changed file
    server.write(Write(drop_docs=[BUSAN[0].doc_id]))
    mirror.sync(early, server)
    mirror.sync(late, server)
    for cat in (early, late):
        assert cat.doc_ids() == {"seoul"} and cat.file_sha("a.txt") == "sha2"
    assert early.chunk_ids() == late.chunk_ids()
    assert early.lexical_rows().terms == late.lexical_rows().terms


def test_a_writer_stopped_before_its_head_is_folded_into_the_next_write(
    server, tmp_path: Path
) -> None:
    _put(server, [SEOUL], "a.txt")
    replica = _replica(tmp_path, "r")
    mirror.sync(replica, server)
    # a run stops after logging generation 2 and writing its record, before the head
    listed, _, sentence_vecs, terms, _ = add_args([BUSAN], "b.txt", seed=2)
    server.state.upsert(
        ids=["log:000000000002"],
        metadatas=[{"kind": "log", "gen": 2, "docs": f'["{BUSAN[0].doc_id}"]', "paths": "[]"}],
        embeddings=[[1.0]],
    )
    server._put(
        server.docs,
        [
            (
                BUSAN[0].doc_id,
                encode(records(listed, terms, sentence_vecs)[0]),
            )
        ],
    )
    assert mirror.sync(replica, server) is False  # the head did not move: not yet visible
    server.write(Write(meta={"x": "1"}))  # the next writer's change
    mirror.sync(replica, server)
    assert BUSAN[0].doc_id in replica.doc_ids()  # seen, although its own head never came


def test_a_cleared_or_replaced_server_index_is_read_again_whole(server, tmp_path: Path) -> None:
    _put(server, [SEOUL, BUSAN], "a.txt")
    replica = _replica(tmp_path, "r")
    mirror.sync(replica, server)
    server.write(Write(clear=True))
    _put(server, [MISSILE], "m.txt")
    mirror.sync(replica, server)
    assert replica.doc_ids() == {MISSILE[0].doc_id}
    assert replica.file_sha("a.txt") is None
    # a different server index (its head has another id): everything is read again
    server.state.upsert(
        ids=[HEAD], metadatas=[{"kind": "head", "index": "other", "gen": 1}], embeddings=[[1.0]]
    )
    server.write(Write(drop_docs=[MISSILE[0].doc_id]))
    mirror.sync(replica, server)
    assert replica.doc_ids() == set() and mirror.synced_at(replica)[0] == "other"


def test_a_pruned_log_means_a_full_read(server, tmp_path: Path) -> None:
    _put(server, [SEOUL], "a.txt")
    _put(server, [BUSAN], "b.txt", seed=1)
    server._call(server.state.delete, ids=["log:000000000001"])
    assert server.changes(0, 2).full
    assert not server.changes(1, 2).full


def test_a_catalog_from_before_the_server_kept_it_is_adopted_not_wiped(
    server, tmp_path: Path
) -> None:
    old = _replica(tmp_path, "old")  # written when the local catalog was the record
    listed, _, sentence_vecs, terms, files = add_args([SEOUL, BUSAN], "a.txt", seed=7)
    old.insert(listed, terms, files, sentence_vecs)
    old.set_meta({"embedding_model": "e5", "doc_ids": "source-scoped"})
    old.bind_source("news", "/data/news")
    before = (old.doc_ids(), old.chunk_ids(), old.lexical_rows())
    assert mirror.sync(old, server) is True
    assert (old.doc_ids(), old.chunk_ids(), old.lexical_rows()) == before
    assert mirror.synced_at(old)[1] == (server.head() or ("", 0))[1]
    fresh = _replica(tmp_path, "fresh")  # another replica reads it all from the server
    mirror.sync(fresh, server)
    assert (fresh.doc_ids(), fresh.chunk_ids(), fresh.lexical_rows()) == before
    assert fresh.file_sha("a.txt") == "sha" and fresh.meta("embedding_model") == "e5"
    assert fresh.sources() == {"news": ["/data/news"]}
    key = (SEOUL[0].doc_id, SEOUL[1][0].sentences[0].start)
    np.testing.assert_allclose(
        fresh.sentence_vectors([key])[key], old.sentence_vectors([key])[key], atol=1e-3
    )
