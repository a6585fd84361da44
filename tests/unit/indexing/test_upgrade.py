"""An ingest into an index written by an earlier version: its sentence vectors, kept in a
vector collection of their own then, are moved into the catalog before anything else, so
nothing is embedded again and nothing is lost (the move itself: ``storage/test_upgrades``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.indexing.ingest import Ingester
from tests.unit.indexing.ingesting import consistent
from tests.unit.storage.memory_vectors import MemoryVectors

GOOD = "좋은 기사\n\n서울시는 새 버스 노선을 발표했다. 시민 반응은 엇갈렸다."


def test_an_ingest_moves_an_old_index_s_sentence_vectors_first(
    ingester: Ingester, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    ingester.run([folder], progress=False)
    store = ingester.store
    rows = store.catalog._db.execute("SELECT doc_id, start, vector FROM sentence_vectors")
    stored = {f"{d}@{s}": np.frombuffer(v, dtype=np.float16).astype(np.float32) for d, s, v in rows}
    assert stored
    vectors = store.vectors
    assert isinstance(vectors, MemoryVectors)
    with store.catalog._db as db:  # as an earlier version left it: vectors in Chroma
        db.execute("DELETE FROM sentence_vectors")
        db.execute("DELETE FROM meta WHERE key='sentence_vectors'")
    vectors.legacy = dict(stored)
    report = ingester.run([folder], progress=False)  # nothing new to embed …
    assert (report.unchanged, report.sentences_embedded) == (1, 0)
    got = store.sentence_vectors(list(stored))  # … and nothing lost
    assert set(got) == set(stored) and vectors.legacy is None
    assert all(np.allclose(got[k], v, atol=1e-3) for k, v in stored.items())


QUOTED = (
    "인사 메시지\n\n그는 관계가 더욱 공고해졌다고 밝히며, 러시아 파병을 가리켰다. "
    '"이제 누구도 단결을 깨뜨릴 수 없다. 이는 시대의 정당한 열망을 수호한다,"라고 '
    "김 위원장은 덧붙였다."
)


def test_documents_chunked_by_an_earlier_version_are_chunked_again(
    ingester: Ingester, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "quoted.txt").write_text(QUOTED, "utf-8")
    ingester.run([folder], progress=False)
    store = ingester.store
    fresh = store.catalog._db.execute("SELECT chunk_id, sentences FROM chunks").fetchall()
    with store.catalog._db as db:  # as version 1 recorded it: other digests, other spans
        db.execute("UPDATE files SET sha = substr(sha, 1, 64)")
        db.execute("UPDATE docs SET hash = 'version-1-hash'")
        db.execute("UPDATE chunks SET sentences = '[[0, 3]]'")
    report = ingester.run([folder], progress=False)
    assert (report.changed, report.unchanged) == (1, 0)
    again = store.catalog._db.execute("SELECT chunk_id, sentences FROM chunks").fetchall()
    assert again == fresh
    consistent(store)  # Chroma, BM25 and the catalog agree on the new chunks …
    starts = {s for _, spans in again for s, _ in json.loads(spans)}
    rows = store.catalog._db.execute("SELECT start FROM sentence_vectors").fetchall()
    assert {s for (s,) in rows} == starts  # … and every sentence vector is a new sentence
    assert ingester.run([folder], progress=False).unchanged == 1  # and then it stays
