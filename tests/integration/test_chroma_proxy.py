"""The vector store behind the shipped nginx proxy (``deploy/nginx-chroma.conf``).

A real ``chroma run`` on loopback, and in front of it nginx started from the shipped
config: without the token or with another one nothing of Chroma's is reachable; with
``chroma_token`` set the assistant ingests an article and answers from it through it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.errors import StoreUnavailable
from tests.fixtures.chroma import ChromaServer
from tests.fixtures.nginx import ChromaProxy
from tests.fixtures.paths import make_settings

pytestmark = pytest.mark.server
TOKEN = secrets.token_hex(16)
ARTICLE = (
    "부산 불꽃축제, 올해 관람객 127만 명 몰려\n\n"
    "부산시는 지난 토요일 광안리 해수욕장 일대에서 열린 제20회 부산 불꽃축제에 관람객 "
    "127만 명이 찾았다고 밝혔다. 이는 지난해보다 약 9만 명 늘어난 규모다."
)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaProxy]:
    chroma = ChromaServer(tmp_path_factory.mktemp("chroma")).start()
    running = ChromaProxy(chroma, TOKEN, tmp_path_factory.mktemp("nginx")).start()
    try:
        yield running
    finally:
        running.stop()
        chroma.stop()


def client(proxy: ChromaProxy, headers: dict[str, str] | None) -> chromadb.HttpClient:
    settings = ChromaSettings(anonymized_telemetry=False)
    return chromadb.HttpClient(
        host="127.0.0.1", port=proxy.port, headers=headers, settings=settings
    )


def test_without_the_token_nothing_is_reachable(proxy: ChromaProxy) -> None:
    for path in ("/api/v2/heartbeat", "/api/v2/tenants/default_tenant/databases"):
        none = httpx.get(proxy.url + path)
        assert none.status_code == 401 and none.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = httpx.get(proxy.url + path, headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 403
        case = httpx.get(proxy.url + path, headers={"Authorization": f"Bearer {TOKEN.upper()}"})
        assert case.status_code == 403  # compared exactly, not ignoring case
    written = httpx.post(
        proxy.url + "/api/v2/tenants/default_tenant/databases/default_database/collections",
        json={"name": "stolen"},
    )
    assert written.status_code == 401
    with pytest.raises(Exception):  # noqa: B017 - chromadb raises its own kinds
        client(proxy, None).list_collections()
    assert (
        httpx.get(
            proxy.url + "/api/v2/heartbeat", headers={"Authorization": f"Bearer {TOKEN}"}
        ).status_code
        == 200
    )


def test_a_wrong_token_is_a_store_unavailable(proxy: ChromaProxy, tmp_path: Path) -> None:
    from assistant import Assistant

    settings = make_settings(
        tmp_path, chroma_host="127.0.0.1", chroma_port=proxy.port, chroma_token="not-it"
    )
    with pytest.raises(StoreUnavailable):
        Assistant(settings).ingest([tmp_path], progress=False)


def test_the_assistant_ingests_and_answers_through_the_proxy(
    proxy: ChromaProxy, analyzer, tmp_path: Path
) -> None:
    from assistant import Assistant

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "festival.txt").write_text(ARTICLE, "utf-8")
    settings = make_settings(
        tmp_path / "data", chroma_host="127.0.0.1", chroma_port=proxy.port, chroma_token=TOKEN
    )
    with Assistant(settings, analyzer=analyzer) as qa:
        assert qa.ingest([folder], progress=False).new == 1
        answer = qa.ask("부산 불꽃축제에 관람객이 몇 명 찾았나?")
    assert "127만" in answer.text and answer.citations
    remote = client(proxy, {"Authorization": f"Bearer {TOKEN}"})
    assert "news" in {c.name for c in remote.list_collections()}
