"""Uploads, listing and deletes over the HTTP API, with API keys, on a real server.

The server runs over its own small index (not the session's, which no test changes):
an article is uploaded, found in the listing, answered from, deleted, and then no
longer answered from. Keys are set, so every request needs one, and only the admin key
may upload or delete.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.interfaces.api.server import Running
from tests.fixtures.api import serving_api
from tests.fixtures.net import free_port
from tests.fixtures.paths import make_settings

pytestmark = pytest.mark.api
READER, ADMIN = "reader-key-123", "admin-key-456"
FESTIVAL = (
    "부산 불꽃축제, 올해 관람객 127만 명 몰려\n\n"
    "부산시는 지난 토요일 광안리 해수욕장 일대에서 열린 제20회 부산 불꽃축제에 관람객 "
    "127만 명이 찾았다고 밝혔다. 이는 지난해보다 약 9만 명 늘어난 규모다.\n\n"
    "축제 조직위원회는 올해 처음으로 드론 500대를 동원한 공연을 선보였다고 설명했다."
)
QUESTION = "부산 불꽃축제에 관람객이 몇 명 찾았나?"


@pytest.fixture(scope="module")
def server(analyzer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    from assistant import Assistant

    settings = make_settings(
        tmp_path_factory.mktemp("api-docs"),
        ui_port=free_port(),
        api_keys=[READER],
        api_admin_keys=[ADMIN],
        ui_max_upload_mb=1,
    )
    with Assistant(settings, analyzer=analyzer) as qa, serving_api(settings, qa) as running:
        yield running


def client(server: Running, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def admin(server: Running) -> Iterator[httpx.Client]:
    with client(server, ADMIN) as http:
        yield http


@pytest.fixture(scope="module")
def reader(server: Running) -> Iterator[httpx.Client]:
    with client(server, READER) as http:
        yield http


def test_keys_are_required_when_set(server: Running, reader: httpx.Client) -> None:
    import openai

    with client(server, None) as anonymous:
        missing = anonymous.post("/api/ask", json={"question": QUESTION})
        assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
        assert "Bearer" in missing.json()["detail"]
        assert anonymous.get("/metrics").status_code == 401
        assert anonymous.get("/healthz").status_code == 200  # probes need no key
    with client(server, "wrong-key") as wrong:
        assert wrong.get("/api/documents").status_code == 401
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong-key")
    with pytest.raises(openai.AuthenticationError, match="not valid"):
        bad.models.list()
    good = openai.OpenAI(base_url=f"{server.url}/v1", api_key=READER)
    assert [m.id for m in good.models.list()] == ["extractive", "reader"]
    assert reader.get("/metrics").status_code == 200


def test_upload_list_ask_delete(admin: httpx.Client, reader: httpx.Client) -> None:
    files = [
        ("files", ("festival.txt", FESTIVAL.encode(), "text/plain")),
        ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
    ]
    refused = reader.post("/api/documents", files=files)
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]

    report = admin.post("/api/documents", files=files)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["new"] == 1 and body["stored"] == ["festival.txt"]
    assert body["rejected"] == ["notes.pdf"]
    again = admin.post("/api/documents", files=files[:1]).json()
    assert (again["new"], again["unchanged"]) == (0, 1)

    listing = reader.get("/api/documents", params={"limit": 1}).json()
    assert listing["total"] == 1 and listing["limit"] == 1
    (doc,) = listing["documents"]
    assert doc["doc_id"] == "uploads/festival" and doc["chunks"] >= 1
    assert doc["title"] == "부산 불꽃축제, 올해 관람객 127만 명 몰려"
    assert reader.get("/api/documents", params={"offset": 1}).json()["documents"] == []

    answer = reader.post("/api/ask", json={"question": QUESTION}).json()
    assert "127만" in answer["text"] and answer["citations"][0]["doc_id"] == doc["doc_id"]

    assert reader.delete(f"/api/documents/{doc['doc_id']}").status_code == 403
    deleted = admin.delete(f"/api/documents/{doc['doc_id']}")
    assert deleted.json() == {"doc_id": "uploads/festival", "file_removed": True}
    assert admin.delete(f"/api/documents/{doc['doc_id']}").status_code == 404
    assert reader.get("/api/documents").json()["total"] == 0
    assert reader.post("/api/ask", json={"question": QUESTION}).json()["status"] != "answered"


def test_upload_names_and_types_are_checked(admin: httpx.Client) -> None:
    """A name that is no file's name is a 400; only files of other types, a 415."""
    for name in ("..", ".", "../.."):
        dots = admin.post("/api/documents", files=[("files", (name, b"x", "text/plain"))])
        assert dots.status_code == 400 and "file name" in dots.json()["detail"], dots.text
    others = [
        ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
        ("files", ("setup.exe", b"MZ", "application/octet-stream")),
    ]
    refused = admin.post("/api/documents", files=others)
    assert refused.status_code == 415, refused.text
    detail = refused.json()["detail"]
    assert "notes.pdf" in detail and "setup.exe" in detail and ".txt" in detail


def test_upload_limits(admin: httpx.Client) -> None:
    big = [("files", ("big.txt", b"a" * (1024 * 1024 + 1), "text/plain"))]
    too_big = admin.post("/api/documents", files=big)
    assert too_big.status_code == 413 and "big.txt" in too_big.json()["detail"]
    nothing = admin.post("/api/documents", files=[])
    assert nothing.status_code == 422
