"""bench/ingest_command.py --tiny runs end to end, so the benchmark of issue 23 cannot rot."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.fixtures.paths import MODEL_DIR

SCRIPT = PROJECT_ROOT / "bench" / "ingest_command.py"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def bench_module():
    spec = importlib.util.spec_from_file_location("ingest_command", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_measures_every_config_and_the_peer(tmp_path: Path) -> None:
    bench = bench_module()
    if not bench.KORQUAD.is_file():
        pytest.skip(f"KorQuAD dev is not at {bench.KORQUAD}")
    out = tmp_path / "tiny.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--quiet", "--model-dir", str(MODEL_DIR),
         "--work", str(tmp_path / "work"), "--json", str(out)],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    payload = json.loads(out.read_text(encoding="utf-8"))

    expected = {*bench.CONFIGS, bench.PEER}
    assert {r["name"] for r in payload["runs"]} == expected
    assert {r["name"] for r in payload["best"]} == expected
    for row in payload["runs"]:
        assert row["paragraphs"] == bench.TINY_PARAGRAPHS, row
        assert row["chunks"] > 0 and row["chunks_per_s"] > 0, row
        assert row["chunks_per_s_wall"] > 0 and row["paragraphs_per_s"] > 0, row
        # the command's report line says what the catalog holds; the peer's count, Chroma's
        assert row["chunks"] == row["chunks_stored"], row
        assert row["peak_rss_mb"] > 0 and row["index_mb"] > 0, row
        assert row["wall_s"] > row["ingest_s"] > 0, row
        if row["kind"] == "command":
            assert row["startup_wall_s"] > 0, row
            assert f"{row['chunks']} chunks embedded" in row["report"], row
    today = next(r for r in payload["best"] if r["name"] == "today")
    assert today["chunks_per_s_vs_today"] == 1.0
