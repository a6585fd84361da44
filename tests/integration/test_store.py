"""The store against a real `chroma run` server on loopback, and with the server gone.

A server that was never there is tested without one in ``tests/unit/storage/test_vectors.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.pipeline.service import Assistant
from tests.fixtures.chroma import ChromaServer
from tests.fixtures.paths import CORPUS, make_settings

pytestmark = pytest.mark.server


@pytest.fixture()
def chroma_server(tmp_path: Path):
    server = ChromaServer(tmp_path / "server").start()
    yield server.proc, server.port
    server.stop()


def test_ingest_and_ask_through_a_chroma_server(chroma_server, tmp_path: Path, settings) -> None:
    proc, port = chroma_server
    qa = Assistant(make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port))
    assert qa.ingest([CORPUS], progress=False).new == 8
    answer = qa.ask("러시아의 평양 주재 대사는 누구였나?")
    assert "마체고라" in answer.text and answer.citations
    # the vectors really are on the server
    remote = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    assert remote.get_collection("news").count() == qa.store.counts()[1]

    proc.terminate()
    proc.wait(timeout=20)
    down = qa.ask("러시아의 평양 주재 대사는 누구였나?")
    assert down.status == "error" and down.refused
    assert f"127.0.0.1:{port}" in down.text and "chroma run" in down.text


class _Progress:
    """What the upload handler needs from ``gr.Progress`` outside a running page."""

    def __call__(self, *args: object, **kwargs: object) -> None:
        pass

    def tqdm(self, iterable, **kwargs: object):  # type: ignore[no-untyped-def]
        return iterable


def test_an_upload_with_the_server_gone_says_the_store_is_unreachable(
    chroma_server, tmp_path: Path, analyzer
) -> None:
    """Before issue 9 the page said "파일 형식과 내용을 확인해 주세요" and kept showing ready."""
    from assistant.interfaces.web.app import build_app
    from assistant.interfaces.web.engine import Engine
    from assistant.text.messages import Messages

    proc, port = chroma_server
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)
    engine = Engine(Assistant(settings, analyzer=analyzer))
    try:
        demo = build_app(engine, settings)
        upload = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "upload")
        texts = Messages.load(settings.prompts_dir, "ui.toml", "ko")
        assert engine.status(texts).startswith("준비 완료")
        proc.terminate()
        proc.wait(timeout=20)
        article = tmp_path / "news.txt"
        article.write_text("부산 소식\n\n부산 불꽃축제에 100만 명이 모였다.", "utf-8")
        page = SimpleNamespace(headers={}, username=None)  # a loopback page event's request
        done = upload([str(article)], page, _Progress())
        message, status = (m.replace("\\", "") for m in done)
        assert "파일 형식과 내용을 확인해 주세요" not in message  # (markdown escapes removed)
        assert message.startswith("기사 색인에 저장하지 못했습니다")
        assert f"127.0.0.1:{port}" in message and "chroma run" in message
        assert "준비 완료" not in status and f"127.0.0.1:{port}" in status
    finally:
        engine.close()
