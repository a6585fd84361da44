"""Ingest on a real two-node Ray cluster equals a local ingest; a killed encoder is
retried; an unreachable address fails fast and writes nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.evaluation.cases import load_cases
from assistant.pipeline.service import Assistant
from tests.fixtures.cli import run_cli
from tests.fixtures.net import free_port
from tests.fixtures.paths import CORPUS, SEED, make_settings
from tests.integration.test_store import chroma_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.cluster
ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install '.[cluster]'")

from assistant.indexing.ray_ingest import RayIngest  # noqa: E402  (after the skip)


def snapshot(qa: Assistant) -> dict[str, Any]:
    """Everything an ingest wrote: documents, chunks with texts and terms, all vectors."""
    catalog = qa.store.catalog
    chunk_ids = sorted(catalog.chunk_ids())
    chunks = qa.store.get_chunks(chunk_ids)
    rows = catalog.lexical_rows()
    got = qa.store.vectors.chunks.get(ids=chunk_ids, include=["embeddings"])  # type: ignore[attr-defined]
    sentences = catalog._db.execute(
        "SELECT doc_id, start, vector FROM sentence_vectors ORDER BY doc_id, start"
    ).fetchall()
    return {
        "docs": sorted(catalog.doc_ids()),
        "chunks": {c: (s.doc_id, s.index, s.start, s.end, s.text) for c, s in chunks.items()},
        "terms": dict(zip(rows.chunk_ids, rows.terms, strict=True)),
        "vectors": dict(zip(got["ids"], np.asarray(got["embeddings"]), strict=True)),
        "sentences": {(d, s): np.frombuffer(v, dtype=np.float16) for d, s, v in sentences},
    }


def answers(qa: Assistant) -> list[tuple[str, list[str]]]:
    """The answer text and cited chunks for every turn of the seed set, through the chain
    (a follow-up turn with the case's earlier turns as history)."""
    out = []
    for case in load_cases(SEED):
        history: list[tuple[str, str]] = []
        for turn in case.turns:
            answer = qa.ask(turn.question, history)
            out.append((answer.text, [c.chunk_id for c in answer.citations]))
            history.append((turn.question, answer.text))
    return out


def assert_same(local: dict[str, Any], other: dict[str, Any]) -> None:
    assert other["docs"] == local["docs"]
    assert other["chunks"] == local["chunks"]
    assert other["terms"] == local["terms"]
    assert other["vectors"].keys() == local["vectors"].keys()
    for chunk_id, vector in local["vectors"].items():
        np.testing.assert_allclose(other["vectors"][chunk_id], vector, atol=2e-2)
        assert float(np.dot(other["vectors"][chunk_id], vector)) > 0.999
    assert other["sentences"].keys() == local["sentences"].keys()
    for key, vector in local["sentences"].items():
        np.testing.assert_allclose(other["sentences"][key], vector, atol=2e-2)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The bundled corpus ingested locally: its report, snapshot and seed answers."""
    with Assistant(make_settings(tmp_path_factory.mktemp("local"))) as qa:
        report = qa.ingest([CORPUS], progress=False)
        yield {"report": report, "index": snapshot(qa), "answers": answers(qa)}


def counts(report: Any) -> tuple[int, ...]:
    return (report.new, report.changed, report.deleted, report.chunks_embedded,
            report.sentences_embedded, len(report.warnings))  # fmt: skip


def test_ray_ingest_equals_local(ray_cluster: str, local: dict, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with RayIngest(settings, ray_cluster) as cluster, Assistant(settings) as qa:
        nodes = {ray.get(a.node.remote()) for a in cluster.encoders}
        assert len(cluster.encoders) == 2 and len(nodes) == 2  # one encoder per node
        report = qa.ingest([CORPUS], progress=False, cluster=cluster)
        assert cluster.parts_done == cluster.parts_sent > 0
        assert counts(report) == counts(local["report"])
        assert_same(local["index"], snapshot(qa))
        assert answers(qa) == local["answers"]


@pytest.mark.server
def test_ray_ingest_into_a_chroma_server_equals_local(
    ray_cluster: str,
    local: dict,
    tmp_path: Path,
    chroma_server: tuple,  # noqa: F811
) -> None:
    """The driver writes through the same Store API whatever Chroma it has."""
    _, port = chroma_server
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)
    with RayIngest(settings, ray_cluster) as cluster, Assistant(settings) as qa:
        report = qa.ingest([CORPUS], progress=False, cluster=cluster)
        assert counts(report) == counts(local["report"])
        assert_same(local["index"], snapshot(qa))


def test_killed_encoder_is_retried(ray_cluster: str, local: dict, tmp_path: Path) -> None:
    """SIGKILL an encoder actor's process once its first part is sent: Ray restarts it,
    retries its calls, and the index is still exactly the local one."""
    settings = make_settings(tmp_path / "data", ray_part_chunks=1)  # a call per document
    with RayIngest(settings, ray_cluster) as cluster, Assistant(settings) as qa:
        victim = cluster.encoders[0]
        pid = ray.get(victim.pid.remote())
        seen: dict[str, int] = {}

        def kill() -> None:
            deadline = time.monotonic() + 300
            while cluster.parts_sent == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            seen["done"] = cluster.parts_done
            os.kill(pid, signal.SIGKILL)

        killer = threading.Thread(target=kill, daemon=True)
        killer.start()
        report = qa.ingest([CORPUS], progress=False, cluster=cluster)
        killer.join(timeout=10)
        assert "done" in seen and seen["done"] < cluster.parts_sent  # killed mid-run
        assert ray.get(victim.pid.remote()) != pid  # it was restarted, not spared
        assert counts(report) == counts(local["report"])
        assert_same(local["index"], snapshot(qa))
        assert answers(qa) == local["answers"]


@pytest.mark.parametrize("address", ["127.0.0.1:{port}", "ray://127.0.0.1:{port}"])
def test_unreachable_address_fails_fast_and_writes_nothing(tmp_path: Path, address: str) -> None:
    address = address.format(port=free_port())
    data = tmp_path / "data"
    started = time.monotonic()
    result = run_cli(data, "ingest", str(CORPUS), "--ray", address, "-q")
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stdout + result.stderr
    assert address in " ".join(result.stderr.split()), result.stderr
    assert "Nothing was written" in " ".join(result.stderr.split())
    assert not data.exists()
