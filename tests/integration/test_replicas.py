"""Two app replicas with their own data dirs over one real `chroma run` server.

The server is the record (``storage.server_catalog``); each replica's catalog is a cache
synced from it (``storage.mirror``). Two real ``assistant serve`` processes answer the
seed set alike, and a document uploaded through one, then deleted through the other, is
seen by both without a restart. The server going away and coming back is tested in
process: the error names host and port, and answers come back by themselves.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.evaluation.cases import load_cases
from assistant.pipeline.service import Assistant
from tests.fixtures.chroma import ChromaServer
from tests.fixtures.cli import ASSISTANT, run_cli
from tests.fixtures.net import free_port
from tests.fixtures.paths import CORPUS, MODEL_DIR, SEED, make_settings

pytestmark = pytest.mark.server
FRESH_WITHIN = 60.0  # seconds: the freshness bound
NEW_FACT = "제주 감귤 박람회에는 올해 방문객 12만 3천 명이 찾았다고 조직위원회가 밝혔다."
NEW_QUESTION = "제주 감귤 박람회 방문객은 몇 명이었나?"


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma")).start()
    yield server
    server.stop()


def _env(data_dir: Path, chroma: ChromaServer) -> dict[str, str]:
    return {
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": str(chroma.port),
        "ASSISTANT_SERVER_SYNC_SECONDS": "2",
    }


class Replica:
    """``assistant serve --no-ingest`` in a subprocess with its own data dir."""

    def __init__(self, data_dir: Path, chroma: ChromaServer) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(data_dir),
            "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
            "HF_HUB_OFFLINE": "1",
            **_env(data_dir, chroma),
        }
        self.log = (data_dir.parent / f"{data_dir.name}.log").open("wb")
        self.proc = subprocess.Popen(
            [ASSISTANT, "serve", "--no-ingest", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the replica exited while starting"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"replica on {self.url} not ready within {timeout} s")

    def ask(self, question: str) -> dict[str, Any]:
        reply = httpx.post(f"{self.url}/api/ask", json={"question": question}, timeout=120)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _cited(answer: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(c["doc_id"], c["start"], c["end"]) for c in answer["citations"]]


def _until(check, timeout: float = FRESH_WITHIN + 30) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``check()`` is true (fails past ``timeout``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not seen within {timeout} s")
        time.sleep(0.5)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def replicas(chroma: ChromaServer, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("replicas")
    done = run_cli(root / "writer", "ingest", str(CORPUS), env=_env(root / "writer", chroma))
    assert done.returncode == 0, done.stderr
    pair = [Replica(root / name, chroma) for name in ("a", "b")]
    try:
        for replica in pair:
            replica.wait_ready()
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def test_two_replicas_answer_the_seed_set_alike(replicas: list[Replica]) -> None:
    a, b = replicas
    answered = 0
    for case in load_cases(SEED):
        question = case.turns[0].question
        first, second = a.ask(question), b.ask(question)
        assert (first["text"], first["refused"]) == (second["text"], second["refused"])
        assert _cited(first) == _cited(second)
        answered += not first["refused"]
    assert answered >= 30  # the index really is there, not two empty replicas


def test_an_upload_through_one_and_a_delete_through_the_other_reach_both(
    replicas: list[Replica], tmp_path: Path
) -> None:
    a, b = replicas
    article = tmp_path / "jeju.txt"
    article.write_text(f"제주 감귤 박람회 폐막\n\n{NEW_FACT}\n", encoding="utf-8")
    with article.open("rb") as f:
        up = httpx.post(f"{a.url}/api/documents", files={"files": ("jeju.txt", f)}, timeout=300)
    assert up.status_code == 200, up.text
    assert up.json()["new"] == 1

    def cites_new(replica: Replica) -> bool:
        answer = replica.ask(NEW_QUESTION)
        return any("감귤" in c["sentence"] for c in answer["citations"])

    assert cites_new(a)  # the writer sees its own upload at once
    seen_by_b = _until(lambda: cites_new(b))
    assert seen_by_b <= FRESH_WITHIN
    doc_id = next(c["doc_id"] for c in b.ask(NEW_QUESTION)["citations"] if "감귤" in c["sentence"])

    gone = httpx.delete(f"{b.url}/api/documents/{doc_id}", timeout=120)
    assert gone.status_code == 200, gone.text
    assert not cites_new(b)
    assert _until(lambda: not cites_new(a)) <= FRESH_WITHIN
    listing = httpx.get(f"{a.url}/api/documents", params={"limit": 500}, timeout=60).json()
    assert doc_id not in {d["doc_id"] for d in listing["documents"]}


def test_the_server_going_away_and_coming_back(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path / "chroma").start()
    settings = make_settings(
        tmp_path / "data", chroma_host="127.0.0.1", chroma_port=server.port, server_sync_seconds=0
    )
    qa = Assistant(settings)
    try:
        assert qa.ingest([CORPUS], progress=False).new == 8
        question = "러시아의 평양 주재 대사는 누구였나?"
        assert "마체고라" in qa.ask(question).text
        server.stop()
        down = qa.ask(question)
        assert down.status == "error" and f"127.0.0.1:{server.port}" in down.text
        with pytest.raises(Exception, match=f"127.0.0.1:{server.port}"):
            qa.ingest([CORPUS], progress=False)
        server.start()  # same folder, same port: no restart of the assistant
        back = qa.ask(question)
        assert back.status == "answered" and "마체고라" in back.text
        again = qa.ingest([CORPUS], progress=False)  # resumable: nothing lost, nothing redone
        assert (again.new, again.unchanged, again.chunks_embedded) == (0, 8, 0)
    finally:
        qa.close()
        server.stop()


def test_a_replica_started_before_its_server_comes_up_by_itself(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path / "chroma")  # its port is chosen, nothing listens yet
    replica = Replica(tmp_path / "data", server)
    try:
        deadline = time.monotonic() + 120
        log = tmp_path / "data.log"
        while f"127.0.0.1:{server.port}" not in log.read_text("utf-8", "replace"):
            assert time.monotonic() < deadline, "the replica never said what it waits for"
            assert replica.proc.poll() is None, "the replica gave up"
            time.sleep(0.5)
        assert httpx.get(f"{replica.url}/healthz", timeout=10).status_code == 503
        server.start()
        replica.wait_ready(timeout=120)
        assert replica.ask("러시아의 평양 주재 대사는 누구였나?")["status"] == "refused"  # empty
    finally:
        replica.stop()
        server.stop()


def test_a_snapshot_starts_a_new_replica_without_reading_the_whole_catalog(
    chroma: ChromaServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = {"chroma_host": "127.0.0.1", "chroma_port": chroma.port, "collection": "snap"}
    writer = Assistant(make_settings(tmp_path / "writer", **server))
    try:
        assert writer.ingest([CORPUS], progress=False).new == 8
        done = run_cli(
            tmp_path / "writer",
            "snapshot",
            str(tmp_path / "new"),
            env={**_env(tmp_path / "writer", chroma), "ASSISTANT_COLLECTION": "snap"},
        )
        assert done.returncode == 0, done.stderr
        again = run_cli(
            tmp_path / "writer",
            "snapshot",
            str(tmp_path / "new"),
            env={**_env(tmp_path / "writer", chroma), "ASSISTANT_COLLECTION": "snap"},
        )
        assert again.returncode != 0 and "already holds an index" in again.stderr
        caplog.set_level("INFO", logger="assistant.storage.mirror")
        replica = Assistant(make_settings(tmp_path / "new", **server))
        try:
            assert "reading the whole catalog" not in caplog.text
            assert replica.store.counts() == writer.store.counts()
            question = "러시아의 평양 주재 대사는 누구였나?"
            first, second = writer.ask(question), replica.ask(question)
            assert first.text == second.text and "마체고라" in second.text
        finally:
            replica.close()
        empty = Assistant(make_settings(tmp_path / "empty", **server))  # the check can fail
        empty.close()
        assert "reading the whole catalog" in caplog.text
    finally:
        writer.close()
    plain = run_cli(tmp_path / "plain", "snapshot", str(tmp_path / "x"))
    assert plain.returncode != 0 and "without a server" in plain.stderr
