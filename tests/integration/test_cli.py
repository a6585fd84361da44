"""The `assistant` command, run as a user would (a real subprocess, a fresh data dir)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli import ASSISTANT, run_cli
from tests.fixtures.paths import CORPUS, MODEL_DIR


def run(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The real CLI (tests.fixtures.cli), as every test here calls it."""
    return run_cli(data_dir, *args, stdin=stdin, env=env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    first = run(path, "ingest", "--quiet", str(CORPUS))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("8 new, 0 changed, 0 unchanged")
    return path


def test_second_ingest_reports_everything_unchanged(data_dir: Path) -> None:
    again = run(data_dir, "ingest", "--quiet", str(CORPUS))
    assert again.returncode == 0
    assert again.stdout.startswith("0 new, 0 changed, 8 unchanged")


def test_ask_prints_the_answer_then_its_sources(data_dir: Path) -> None:
    result = run(data_dir, "ask", "김정은은 북러 관계를 무엇이라고 표현했나?")
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\n\n")
    assert "소중한 공동자산" in answer and "[1]" in answer
    assert "[1] 김정은, 푸틴에 새해 인사 메시지" in sources
    assert "000_e3f8f1e00a5f7b14.txt" in sources


def test_ask_json(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--json", "푸틴은 언제 새해 메시지를 보냈나?")
    payload = json.loads(result.stdout)
    assert payload["refused"] is False and "12월 18일" in payload["answer"]
    citation = payload["citations"][0]
    assert {"number", "doc_id", "title", "source", "text", "start", "end", "score"} <= set(citation)
    assert set(payload["timings_ms"]) == {"retrieve", "answer"}


def test_unanswerable_question(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--json", "푸틴의 나이는?")
    payload = json.loads(result.stdout)
    assert payload["refused"] is True and payload["citations"] == []
    assert result.returncode == 0


def test_empty_question_exits_2_with_a_message(data_dir: Path) -> None:
    result = run(data_dir, "ask", "-", stdin="   ")
    assert result.returncode == 2
    assert "질문을 입력해 주세요" in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_folder_is_named(data_dir: Path) -> None:
    result = run(data_dir, "ingest", "/no/such/folder")
    assert result.returncode == 1
    assert "no such file or folder: /no/such/folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_files_are_warned_about_and_the_rest_ingested(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "ok.txt").write_text("부산 소식\n\n부산 불꽃축제에 100만 명이 모였다.", "utf-8")
    (folder / "old.txt").write_bytes("대구 소식\n\n대구 치맥축제가 열렸다.".encode("cp949"))
    (folder / "image.txt").write_bytes(b"\x89PNG\x00\x00" * 50)
    (folder / "feed.jsonl").write_text(
        '{"id": "x", "text": "광주 비엔날레 개막."}\n{oops\n', "utf-8"
    )
    result = run(data_dir, "ingest", "--quiet", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 new")
    assert "image.txt" in result.stderr and "feed.jsonl, line 2" in result.stderr
    assert "치맥축제" in run(data_dir, "ask", "대구에서 열린 축제는?").stdout


def test_chroma_server_down_is_a_clear_error(tmp_path: Path) -> None:
    env_args = ("ask", "질문")
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path),
        "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": "9",
        "HF_HUB_OFFLINE": "1",
    }
    result = subprocess.run(
        [ASSISTANT, *env_args], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert result.returncode == 1
    assert "Cannot reach the Chroma server at http://127.0.0.1:9" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_undecodable_bytes_in_a_question_are_replaced_not_a_traceback(data_dir: Path) -> None:
    """A question argument and a piped question holding bytes that are not UTF-8."""
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
        "HF_HUB_OFFLINE": "1",
    }
    question = "북한은 미사일을 발사했나?".encode() + b"\xff\xfe"
    for args, stdin in (([question], None), ([b"-"], question)):
        done = subprocess.run(
            [ASSISTANT.encode(), b"ask", b"--json", *args],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        assert b"Traceback" not in done.stderr
        answer = json.loads(done.stdout)
        assert answer["question"].startswith("북한은 미사일을 발사했나?")
        assert "\ufffd" in answer["question"]


def test_ingest_into_a_named_source_and_refuse_a_bad_name(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "001.txt").write_text("부산 소식\n\n부산 불꽃축제에 100만 명이 모였다.", "utf-8")
    data = tmp_path / "data"
    done = run(data, "ingest", "--quiet", "--source", "wire", str(folder))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 new") and "source 'wire' is " in done.stdout
    answer = json.loads(run(data, "ask", "--json", "부산 불꽃축제에 몇 명이 모였나?").stdout)
    assert answer["citations"][0]["doc_id"] == "wire/001"
    assert answer["citations"][0]["source"] == "wire/001.txt"
    bad = run(data, "ingest", "--quiet", "--source", "a/b", str(folder))
    assert bad.returncode == 1 and "not a source name: 'a/b'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_ingest_output_is_clean_and_the_bar_counts_chunks_as_embedded(tmp_path: Path) -> None:
    """No library DEBUG lines; the "embedded" bar moves slice by slice (chunks whose
    passes are all done), not from 0 to the total at the end of a batch."""
    folder = tmp_path / "news"
    folder.mkdir()
    body = " ".join(f"서울시는 {i}번 버스 노선을 새로 발표했다." for i in range(900))
    (folder / "big.txt").write_text("버스 노선 개편\n\n" + body, "utf-8")
    done = run(tmp_path / "data", "ingest", str(folder))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.replace("\r", "\n").splitlines()
    assert not [x for x in lines if x.startswith("DEBUG")], done.stderr[:2000]
    counts = re.findall(r"embedded:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)", done.stderr)
    partial = {int(n) for n, total in counts if 0 < int(n) < int(total)}
    assert partial, f"the bar never showed a partial count: {counts[-5:]}"


def test_no_socks_dependency_warning_once_logging_is_configured() -> None:
    """requests and the Kubernetes client probe urllib3's SOCKS support; an entry point's
    log shows nothing about it even with every warning turned on."""
    code = (
        "from assistant import configure_logging; configure_logging()\n"
        "try:\n    import urllib3.contrib.socks\nexcept ImportError:\n    print('no PySocks')"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "SOCKS support" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no PySocks"  # the case that warns: the probe really ran


def test_a_filter_that_matches_nothing_says_so_rather_than_an_empty_index(data_dir: Path) -> None:
    """Issue 20: README's own ``--since 2025-01-01`` (the bundled articles have no date) got
    "아직 색인된 기사가 없습니다…", as if nothing were indexed."""
    for args in (("--since", "2025-01-01"), ("--source", "no-such-file.txt")):
        result = run(data_dir, "ask", *args, "푸틴은 언제 새해 메시지를 보냈나?")
        assert result.returncode == 0, result.stderr
        assert "이 조건(출처, 날짜)에 맞는 기사가 없습니다" in result.stdout
        assert "아직 색인된 기사가 없습니다" not in result.stdout
    english = run(data_dir, "ask", "--since", "2025-01-01", "When did Putin send the message?")
    assert "No article matches these filters" in english.stdout
