"""The analysis stage: chunks and terms the same in a worker process as in this one, and
a run that analyses in a worker ingests exactly what an in-process run does."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken

from assistant.indexing.analysis import InlineAnalysis, WorkerAnalysis, analyse
from assistant.indexing.chunking import Chunker
from assistant.indexing.ingest import Ingester
from assistant.text.korean import KoreanAnalyzer
from assistant.types import Article
from tests.unit.indexing.ingesting import consistent, make_ingester

ARTICLES = [
    Article(
        doc_id=f"news/{i}",
        title=f"기사 {i}",
        text=" ".join(f"서울시는 {i}월 {j}일 새 버스 노선 {j}개를 발표했다." for j in range(30)),
        source="news",
    )
    for i in range(3)
]


def _write(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(f"부산시는 {i}번째 항구 축제를 {j}일 연다고 밝혔다." for j in range(25))
        (folder / f"{i:02d}.txt").write_text(f"축제 {i}\n\n{body}", "utf-8")


def test_a_worker_process_analyses_as_this_process_does(
    analyzer: KoreanAnalyzer, encoding: tiktoken.Encoding
) -> None:
    chunker = Chunker(analyzer, encoding, max_tokens=60, overlap=1)
    inline = InlineAnalysis(chunker, analyzer)
    worker = WorkerAnalysis(chunker, workers=1)
    try:
        futures = [worker.submit(a) for a in ARTICLES]
        got = [f.result(timeout=120) for f in futures]
    finally:
        worker.close()
    assert got == [inline.submit(a).result() for a in ARTICLES]
    assert got[0] == analyse(ARTICLES[0], chunker, analyzer)
    assert len(got[0].chunks) > 2 and all(got[0].terms)


def test_an_error_stays_in_the_future(
    analyzer: KoreanAnalyzer, encoding: tiktoken.Encoding
) -> None:
    chunker = Chunker(analyzer, encoding)
    broken = Article(doc_id="x", title="t", text=None, source="s")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        InlineAnalysis(chunker, analyzer).submit(broken).result()


def test_ingest_with_a_worker_equals_ingest_without(
    tmp_path: Path, analyzer: KoreanAnalyzer, encoding: tiktoken.Encoding
) -> None:
    _write(tmp_path / "news", 6)
    rows = []
    for workers in (0, 1):
        ingester: Ingester = make_ingester(tmp_path / f"data-{workers}", analyzer, encoding)
        ingester.workers, ingester.workers_after = workers, 2  # the worker takes over at 3
        try:
            report = ingester.run([tmp_path / "news"], progress=False)
            assert report.new == 6 and not report.warnings
            consistent(ingester.store)
            lexical = ingester.store.catalog.lexical_rows()
            chunks = ingester.store.get_chunks(lexical.chunk_ids)
            rows.append(
                (
                    lexical.chunk_ids,
                    lexical.terms,
                    [(c.start, c.end, c.sentences) for c in chunks.values()],
                    report.chunks_embedded,
                    report.sentences_embedded,
                )
            )
            again = ingester.run([tmp_path / "news"], progress=False)
            assert (again.unchanged, again.chunks_embedded) == (6, 0)
        finally:
            ingester.store.close()
    assert rows[0] == rows[1]
