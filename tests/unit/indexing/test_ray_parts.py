"""The Ray ingest's pieces that need no cluster: parts, analysis groups, address checks,
and that the module loads without Ray (Ray is imported only when a RayIngest is built)."""

from __future__ import annotations

import socket
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ClusterUnavailable
from assistant.indexing.limits import Limits
from assistant.indexing.ray_connect import check_reachable
from assistant.indexing.ray_ingest import RayAnalysis, RayReader, split_docs
from assistant.indexing.reading import InlineReader, Read, digest, parse
from assistant.types import Article


def _article(i: int, chars: int = 10) -> Article:
    return Article(doc_id=f"s/{i}", title=f"t{i}", text="가" * chars, source="s")


def test_parts_keep_documents_whole_and_in_order() -> None:
    docs = [(_article(i), "k", [object()] * n) for i, n in enumerate([3, 1, 5, 2, 2])]
    parts = split_docs(docs, part_chunks=4)  # type: ignore[arg-type]
    assert [d for part in parts for d in part] == docs
    assert [sum(len(d[2]) for d in part) for part in parts] == [4, 5, 4]
    assert split_docs([], 4) == []


class _Call:
    def __init__(self, result: Any) -> None:
        self._result = result

    def future(self) -> Future:
        done: Future = Future()
        if isinstance(self._result, BaseException):
            done.set_exception(self._result)
        else:
            done.set_result(self._result)
        return done


class _Method:
    def __init__(self, actor: _Actor) -> None:
        self.actor = actor

    def remote(self, articles: list[Article]) -> _Call:
        self.actor.calls.append([a.doc_id for a in articles])
        if self.actor.broken:
            return _Call(RuntimeError("actor died"))
        return _Call([ValueError("bad") if "bad" in a.title else a.doc_id for a in articles])


class _Actor:
    """Stands in for an analyser actor handle: ``analyse.remote(...)`` → a ref."""

    def __init__(self, broken: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.broken = broken
        self.analyse = _Method(self)


def test_analysis_groups_articles_and_spreads_the_groups() -> None:
    actors = [_Actor(), _Actor()]
    analysis = RayAnalysis(actors, group_chars=25)
    futures = [analysis.submit(_article(i)) for i in range(5)]
    analysis.flush()
    analysis.flush()  # nothing held: no empty call
    assert actors[0].calls == [["s/0", "s/1", "s/2"]]
    assert actors[1].calls == [["s/3", "s/4"]]
    assert [f.result() for f in futures] == [f"s/{i}" for i in range(5)]


def test_one_bad_article_fails_alone_and_a_dead_call_fails_its_group() -> None:
    analysis = RayAnalysis([_Actor()], group_chars=1000)
    bad = Article(doc_id="s/x", title="bad", text="나", source="s")
    good, failed = analysis.submit(_article(1)), analysis.submit(bad)
    analysis.flush()
    assert good.result() == "s/1"
    with pytest.raises(ValueError):
        failed.result()
    dead = RayAnalysis([_Actor(broken=True)])
    lost = [dead.submit(_article(i)) for i in range(2)]
    dead.flush()
    assert all(isinstance(f.exception(), RuntimeError) for f in lost)


def test_an_address_nothing_answers_is_named_in_the_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ClusterUnavailable, match=address):
            check_reachable(address, timeout=2)
    with pytest.raises(ClusterUnavailable, match="not HOST:PORT"):
        check_reachable("no-port-here", timeout=2)
    check_reachable("auto", timeout=2)  # left to Ray


def test_a_listening_address_passes_the_check() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        check_reachable(f"127.0.0.1:{s.getsockname()[1]}", timeout=2)


def test_the_local_pipeline_never_imports_ray() -> None:
    code = (
        "import sys, assistant.indexing.ray_ingest, assistant.pipeline.service, "
        "assistant.interfaces.cli; print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class _Ray:
    """Stands in for the ``ray`` module: a ref is the value itself."""

    @staticmethod
    def get(ref: Any) -> Any:
        return ref


class _Remote:
    """``reading.parse`` as if it were a remote function, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def remote(self, *args: Any) -> Any:
        self.calls += 1
        return parse(*args)


def test_the_ray_reader_reads_as_the_inline_one(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": "1", "title": "가", "text": "나다."}\nnot json\n')
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00\xd8" * 10)  # not text
    (tmp_path / "c.txt").write_text("제목\n\n본문입니다.", encoding="utf-8")
    (tmp_path / "big.txt").write_text("가" * 100, encoding="utf-8")
    files = [(tmp_path / n, tmp_path, n) for n in ("a.jsonl", "b.txt", "c.txt", "big.txt")]
    recorded = {"c.txt": digest((tmp_path / "c.txt").read_bytes())}.get
    limits = Limits(max_file_bytes=200)
    inline = list(InlineReader(limits).read(files, recorded))
    task = _Remote()
    ahead = list(RayReader(_Ray(), task, limits, window=2).read(files, recorded))
    assert task.calls == 2  # the unchanged and the too-big file are not sent
    assert [type(r) for r in ahead] == [type(r) for r in inline]
    assert ahead[0] == inline[0] and ahead[0].warnings  # the bad line is warned about
    assert str(ahead[1]) == str(inline[1]) and str(ahead[3]) == str(inline[3])
    assert ahead[2] == inline[2] == Read(recorded("c.txt"), None)  # type: ignore[arg-type]
