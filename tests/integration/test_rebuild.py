"""``assistant ingest --rebuild`` on the real stack (issue 20): it embeds every source
again from where it came from — the corpus, a folder ingested with ``--source wire``, the
browser's uploads — and refuses, deleting nothing, when a source's folder is gone.
Before, ``--rebuild corpus/`` silently dropped the other two."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

from assistant.interfaces.web.uploads import save_and_ingest
from assistant.pipeline.service import Assistant
from assistant.storage.store import Store
from tests.fixtures.cli import run_cli
from tests.fixtures.paths import CORPUS, make_settings

WIRE = "울릉 여객선 증편\n\n울릉군은 여름 성수기에 여객선을 하루 4회로 늘린다고 밝혔다."
UPLOAD = "부산 불꽃축제 관람객\n\n부산 불꽃축제에 관람객 127만 명이 찾았다고 부산시가 밝혔다."


def _sources(data_dir: Path) -> dict[str, int]:
    """Documents per source name in the index."""
    counts: dict[str, int] = {}
    with Store(make_settings(data_dir)) as store:
        for doc_id, _, _ in store.documents():
            name = doc_id.split("/", 1)[0]
            counts[name] = counts.get(name, 0) + 1
        assert store.vectors.chunk_count() == store.counts()[1]
    return counts


def test_rebuild_embeds_every_source_again_and_refuses_to_drop_one_whose_folder_is_gone(
    tmp_path: Path, analyzer
) -> None:
    data_dir = tmp_path / "data"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire-1.txt").write_text(WIRE, "utf-8")
    incoming = tmp_path / "browser"
    incoming.mkdir()
    (incoming / "000_e3f8f1e00a5f7b14.txt").write_text(UPLOAD, "utf-8")  # a corpus name
    with Assistant(make_settings(data_dir), analyzer=analyzer) as qa:
        qa.ingest([CORPUS], progress=False)
        qa.ingest([feeds], source="wire", progress=False)
        engine = SimpleNamespace(qa=qa, ingest_lock=threading.Lock())
        save_and_ingest(engine, qa.settings, [incoming / "000_e3f8f1e00a5f7b14.txt"])
    before = _sources(data_dir)
    assert before == {"corpus": 8, "wire": 1, "uploads": 1}

    rebuilt = run_cli(data_dir, "ingest", "--rebuild", "--quiet", str(CORPUS), columns=400)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("10 new, 0 changed, 0 unchanged"), rebuilt.stdout
    assert _sources(data_dir) == before  # before: {"corpus": 8}

    shutil.move(feeds, tmp_path / "moved")
    refused = run_cli(data_dir, "ingest", "--rebuild", "--quiet", str(CORPUS), columns=400)
    assert refused.returncode == 1
    message = " ".join(refused.stderr.split())
    assert "Nothing was rebuilt" in message and f"'wire' (1 documents) from {feeds}" in message
    assert _sources(data_dir) == before  # nothing was deleted
    command = re.search(r"`(assistant ingest --rebuild [^`]*)`", message)
    assert command is not None and "--drop wire" in command.group(1), message
    dropped = run_cli(data_dir, *command.group(1).split()[1:], "--quiet", columns=400)
    assert dropped.returncode == 0, dropped.stderr
    assert "dropped the source 'wire' (1 documents)" in " ".join(dropped.stderr.split())
    assert _sources(data_dir) == {"corpus": 8, "uploads": 1}


def test_rebuild_without_paths_rebuilds_what_the_index_had(tmp_path: Path, analyzer) -> None:
    data_dir = tmp_path / "data"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire-1.txt").write_text(WIRE, "utf-8")
    with Assistant(make_settings(data_dir), analyzer=analyzer) as qa:
        qa.ingest([feeds], source="wire", progress=False)
    rebuilt = run_cli(data_dir, "ingest", "--rebuild", "--quiet", columns=400)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("1 new"), rebuilt.stdout
    assert _sources(data_dir) == {"wire": 1}
