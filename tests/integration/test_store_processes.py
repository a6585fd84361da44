"""Two processes on one data folder, for real: a long-lived ``Assistant`` answers questions
in a loop while a second process ingests and deletes articles, and two ingests start at
once. Before issue 9 the reader failed with Chroma's ``InternalError: Error finding id``
on every question after the first foreign write, until restarted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT
from assistant.storage.write_lock import LOCK_NAME
from tests.fixtures.paths import CORPUS, MODEL_DIR, make_settings

ASSISTANT = str(Path(sys.executable).with_name("assistant"))
OLD_QUESTION = "러시아의 평양 주재 대사는 누구였나?"

# Each round adds a file of new articles; odd rounds also delete the previous round's file.
WRITER = """
import json, sys, time
from pathlib import Path
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

data_dir, model_dir, folder, rounds = sys.argv[1:5]
folder = Path(folder)
qa = Assistant(Settings(data_dir=Path(data_dir), model_dir=Path(model_dir)))
print("loaded", flush=True)
for r in range(int(rounds)):
    records = [
        {"id": f"r{r}a{i}", "title": f"섬 축제 소식 {r}-{i}",
         "text": f"경상북도 울릉군은 제{r}{i}회 울릉도 오징어 축제를 {r + 3}월 {i + 1}일에 "
                 f"연다고 밝혔다. 축제에는 관광객 {r + 1}만 명이 찾을 것으로 보인다."}
        for i in range(4)
    ]
    path = folder / f"round{r}.jsonl"
    path.write_text("\\n".join(json.dumps(x, ensure_ascii=False) for x in records), "utf-8")
    qa.ingest([folder], progress=False)
    if r % 2 == 1:
        (folder / f"round{r - 1}.jsonl").unlink()
        qa.ingest([folder], progress=False)
    print("round", r, flush=True)
    time.sleep(0.3)
qa.close()
"""


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
    }


def test_a_serving_process_keeps_answering_while_another_ingests_and_deletes(
    tmp_path: Path, settings
) -> None:
    data_dir = tmp_path / "data"
    folder = tmp_path / "islands"
    folder.mkdir()
    qa = Assistant(make_settings(data_dir))
    try:
        assert qa.ingest([CORPUS], progress=False).new == 8
        assert "마체고라" in qa.ask(OLD_QUESTION).text
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), str(MODEL_DIR), str(folder), "6"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        errors, asked, new_seen = [], 0, 0
        deadline = time.monotonic() + 300
        while writer.poll() is None and time.monotonic() < deadline:
            for question in (OLD_QUESTION, "울릉도 오징어 축제에는 관광객이 몇 명 찾나?"):
                try:
                    answer = qa.ask(question)
                except Exception as exc:  # the bug: InternalError('Error finding id')
                    errors.append(repr(exc))
                    continue
                asked += 1
                if answer.status == "error":
                    errors.append(answer.text)
                new_seen += any("섬 축제" in c.title for c in answer.citations)
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err[-3000:]
        assert out.count("round") == 6
        assert errors == [] and asked > 10
        assert new_seen > 0  # new articles were answered while the writer was still going
        assert qa.store._access.epoch > 0  # the reader did reopen after foreign writes

        last = qa.ask("제51회 울릉도 오징어 축제는 몇 월 며칠에 열리나?")
        assert last.status == "answered" and "8월 2일" in last.text, last.text
        assert last.citations[0].title == "섬 축제 소식 5-1"
        gone = qa.ask("제01회 울릉도 오징어 축제는 몇 월 며칠에 열리나?")  # round 0: deleted
        assert all(not c.title.startswith("섬 축제 소식 0-") for c in gone.citations)
        docs, chunks = qa.store.counts()
        assert docs == 8 + 3 * 4  # rounds 1, 3, 5 remain
        assert qa.store.vectors.chunk_count() == chunks
        assert len(qa.store.lexical()) == chunks
    finally:
        qa.close()


def test_two_ingests_at_once_are_serialised(tmp_path: Path) -> None:
    """A third process holds the write lock until both ingests are waiting for it, so they
    certainly overlap; then both finish, one after the other, and the index is whole."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    folders = []
    for name in ("east", "west"):
        folder = tmp_path / name
        folder.mkdir()
        records = [
            {"id": f"{name}{i}", "title": f"{name} 소식 {i}", "text": f"{name} 마을 {i}번 소식."}
            for i in range(30)
        ]
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
        (folder / "news.jsonl").write_text(text, "utf-8")
        folders.append(folder)
    holder = FileLock(data_dir / LOCK_NAME)
    holder.acquire()
    logs = [tmp_path / f"{f.name}.log" for f in folders]
    try:
        procs = [
            subprocess.Popen(
                [ASSISTANT, "ingest", "--quiet", str(folder)],
                env=_env(data_dir),
                stdout=subprocess.PIPE,
                stderr=log.open("w"),
                text=True,
            )
            for folder, log in zip(folders, logs, strict=True)
        ]
        deadline = time.monotonic() + 300
        while not all("waiting up to" in log.read_text() for log in logs):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.2)
    finally:
        holder.release()
    for proc, log in zip(procs, logs, strict=True):
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, log.read_text()[-3000:]
        assert out.startswith("30 new"), out
    with Assistant(make_settings(data_dir)) as qa:
        docs, chunks = qa.store.counts()
        assert docs == 60 and qa.store.vectors.chunk_count() == chunks
        assert set(qa.store.vectors.chunk_documents()) == qa.store.catalog.chunk_ids()
