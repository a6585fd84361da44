"""The server index's write lease on a real in-process Chroma (no server process)."""

from __future__ import annotations

import uuid

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.errors import IndexBusy
from assistant.storage.server_lease import LEASE_ID, ServerLease


def _call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    return fn(*args, **kwargs)


@pytest.fixture()
def state():  # type: ignore[no-untyped-def]
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    yield client.create_collection(f"s-{uuid.uuid4().hex[:8]}", embedding_function=None)
    client.close()


def test_a_second_writer_waits_then_gets_a_clear_error_naming_the_holder(state) -> None:
    first = ServerLease(state, _call, timeout=1.0, where="http://127.0.0.1:1")
    second = ServerLease(state, _call, timeout=1.0, where="http://127.0.0.1:1")
    with first.held():
        with first.held():  # re-entrant for its holder
            pass
        assert state.get(ids=[LEASE_ID])["ids"]  # still held after the inner block
        with pytest.raises(IndexBusy, match=first.holder) as busy, second.held():
            pass
        assert "127.0.0.1:1" in str(busy.value)
    assert not state.get(ids=[LEASE_ID])["ids"]  # released
    with second.held():
        assert state.get(ids=[LEASE_ID])["metadatas"][0]["holder"] == second.holder


def test_a_lease_whose_holder_died_runs_out(state) -> None:
    state.upsert(
        ids=[LEASE_ID],
        metadatas=[{"kind": "lease", "holder": "gone:1:x", "until": 1.0}],
        embeddings=[[1.0]],
    )
    taker = ServerLease(state, _call, timeout=1.0, where="here")
    with taker.held():
        assert state.get(ids=[LEASE_ID])["metadatas"][0]["holder"] == taker.holder
