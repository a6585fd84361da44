"""Issue 9 on the real stack (e5, kiwipiepy, embedded Chroma): nothing lost, nothing
replaced, nothing stuck. Same-named files in two folders, browser uploads beside the
corpus, hostile files among good ones, and a 2 MB single-line article."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.pipeline.service import Assistant
from assistant.text.messages import Messages
from assistant.types import Article
from tests.fixtures.paths import CORPUS, make_settings

SEOUL = "서울 버스 기사\n\n서울시는 4일 새 버스 노선 12개를 발표했다. 시민 반응은 엇갈렸다."
BUSAN = "부산 축제 기사\n\n부산 불꽃축제에 관람객 127만 명이 모였다. 교통이 통제됐다."
JEJU = "제주 공항 기사\n\n제주공항은 폭설로 항공편 300편을 결항했다. 승객들이 밤을 새웠다."


@pytest.fixture()
def qa(tmp_path: Path, settings) -> Any:
    assistant = Assistant(make_settings(tmp_path / "data"))
    yield assistant
    assistant.close()


def _ids(qa: Assistant) -> list[str]:
    return sorted(d for d, _, _ in qa.store.documents())


def _consistent(qa: Assistant) -> None:
    _, chunks = qa.store.counts()
    assert qa.store.vectors.chunk_count() == chunks
    assert set(qa.store.vectors.chunk_documents()) == qa.store.catalog.chunk_ids()
    assert len(qa.store.lexical()) == chunks


def test_same_name_in_two_folders_neither_replaces_nor_deletes_the_other(
    qa: Assistant, tmp_path: Path
) -> None:
    col_a, col_b = tmp_path / "colA", tmp_path / "colB"
    col_a.mkdir()
    col_b.mkdir()
    (col_a / "001.txt").write_text(SEOUL, "utf-8")
    (col_b / "001.txt").write_text(BUSAN, "utf-8")
    assert qa.ingest([col_a], progress=False).summary().startswith("1 new, 0 changed")
    # before: "0 new, 1 changed", and colA's article was gone
    assert qa.ingest([col_b], progress=False).summary().startswith("1 new, 0 changed")
    assert _ids(qa) == ["colA/001", "colB/001"]
    top = qa.search.search("서울시 버스 노선 발표", k=1)[0]
    assert (top.metadata["doc_id"], top.metadata["source"]) == ("colA/001", "colA/001.txt")

    (col_b / "001.txt").unlink()
    assert qa.ingest([col_b], progress=False).deleted == 1
    # before: no documents left while `files` still listed colA/001.txt
    assert _ids(qa) == ["colA/001"]
    answer = qa.ask("서울시는 버스 노선을 몇 개 발표했나?")
    assert "12개" in answer.text and answer.citations[0].doc_id == "colA/001"
    _consistent(qa)


def test_uploads_are_their_own_source_and_new_bytes_a_new_version(
    qa: Assistant, tmp_path: Path
) -> None:
    from assistant.interfaces.web.uploads import ingest_uploads

    news = tmp_path / "news"
    news.mkdir()
    (news / "article.txt").write_text(SEOUL, "utf-8")
    qa.ingest([news], progress=False)
    texts = Messages.load(qa.settings.prompts_dir, "ui.toml", "en")
    engine = SimpleNamespace(qa=qa, ingest_lock=threading.Lock())

    def upload(text: str) -> str:
        incoming = tmp_path / f"browser-{time.monotonic_ns()}"
        incoming.mkdir()
        (incoming / "article.txt").write_text(text, "utf-8")
        return ingest_uploads(engine, qa.settings, texts, [str(incoming / "article.txt")], _Bar())

    first = upload(BUSAN)  # the same name as the corpus file: before, it replaced it
    assert "1 new" in first and "new version" not in first
    assert _ids(qa) == ["news/article", "uploads/article"]
    second = upload(JEJU)  # the same name again, other bytes: kept beside the first
    assert "article\\.txt → article\\.v2\\.txt" in second  # Markdown-escaped
    assert _ids(qa) == ["news/article", "uploads/article", "uploads/article.v2"]
    folder = qa.settings.data_dir / "uploads"
    assert sorted(p.name for p in folder.iterdir()) == ["article.txt", "article.v2.txt"]
    third = upload(BUSAN)  # uploaded before: the same file, nothing new
    assert "1 unchanged" in third and "new version" not in third
    assert qa.store.document_text("news/article") == SEOUL
    _consistent(qa)


class _Bar:
    """Gradio's progress, as the upload handler uses it."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def tqdm(self, items: Any, **kwargs: Any) -> Any:
        return items


def test_bad_files_among_good_ones_cost_only_themselves(qa: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(SEOUL, "utf-8")
    (folder / "deep.json").write_text("[" * 10000 + "]" * 10000, "utf-8")
    (folder / "deep.jsonl").write_text("[" * 10000 + "]" * 10000 + "\n", "utf-8")
    with open(os.path.join(os.fsencode(folder), b"\xff\xfe.txt"), "wb") as fh:
        fh.write(BUSAN.encode())
    os.symlink("/etc/passwd", folder / "passwd.txt")
    report = qa.ingest([folder], progress=False)
    assert _ids(qa) == ["news/\\xff\\xfe", "news/good"]
    assert len(report.warnings) == 3
    assert sum("ingest_max_json_depth" in w for w in report.warnings) == 2
    assert any("passwd.txt" in w and "outside" in w for w in report.warnings)
    assert all("root:" not in (qa.store.document_text(d) or "") for d in _ids(qa))
    again = qa.ingest([folder], progress=False)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    _consistent(qa)


def test_limits_come_from_the_settings(tmp_path: Path, settings) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(SEOUL, "utf-8")
    (folder / "big.txt").write_text(BUSAN * 20, "utf-8")
    with Assistant(make_settings(tmp_path / "data", ingest_max_file_bytes=2000)) as small:
        report = small.ingest([folder], progress=False)
        assert _ids(small) == ["news/good"]
        (warning,) = report.warnings
        assert "big.txt" in warning and "(setting ingest_max_file_bytes)" in warning


@pytest.mark.slow
def test_a_2mb_single_line_article_chunks_in_seconds(qa: Assistant) -> None:
    line = (CORPUS / "000_e3f8f1e00a5f7b14.txt").read_text("utf-8").replace("\n", " ")
    text = (line * (2_000_000 // len(line.encode()) + 1)).encode()[:2_000_000]
    article = Article("big", "큰 기사", text.decode(errors="ignore"), "big.txt")
    started = time.perf_counter()
    chunks = qa.chunker.split(article)  # before: one kiwipiepy call for minutes
    seconds = time.perf_counter() - started
    print(f"2 MB single line: {len(chunks)} chunks in {seconds:.1f} s")
    assert seconds < 90, seconds
    assert chunks[0].start == 0 and chunks[-1].end >= len(article.text.rstrip()) - 1
    assert all(c.end - c.start <= 2000 for c in chunks)


def test_an_upload_named_like_a_corpus_file_is_shown_and_filtered_by_its_scoped_name(
    qa: Assistant, tmp_path: Path
) -> None:
    """Issue 20: the upload kept its own id but shared the corpus file's source label, so
    README's ``--source 000_e3f8f1e00a5f7b14.txt`` returned only the upload, cited with
    the real article's file name."""
    from assistant.interfaces.web.uploads import save_and_ingest
    from assistant.retrieval.filters import Filters
    from tests.fixtures.cli import run_cli

    name = "000_e3f8f1e00a5f7b14.txt"
    incoming = tmp_path / "browser"
    incoming.mkdir()
    (incoming / name).write_text(BUSAN, "utf-8")
    qa.ingest([CORPUS], progress=False)
    save_and_ingest(
        SimpleNamespace(qa=qa, ingest_lock=threading.Lock()), qa.settings, [incoming / name]
    )

    upload = qa.ask("부산 불꽃축제에 관람객 몇 명이 모였나?", filters=Filters((f"uploads/{name}",)))
    assert upload.citations and {c.source for c in upload.citations} == {f"uploads/{name}"}
    corpus = qa.ask("러시아의 평양 주재 대사는 누구였나?", filters=Filters((f"corpus/{name}",)))
    assert "마체고라" in corpus.text
    assert {c.source for c in corpus.citations} == {f"corpus/{name}"}

    both = qa.ask("러시아의 평양 주재 대사는 누구였나?", filters=Filters((name,)))
    assert both.status == "invalid" and not both.citations
    assert f"corpus/{name}, uploads/{name}" in both.text
    asked = run_cli(qa.settings.data_dir, "ask", "--source", name, "푸틴은?", columns=400)
    assert asked.returncode == 2, asked.stderr
    assert f"corpus/{name}, uploads/{name}" in asked.stdout
