"""The browser app's defences against what a client may send, on real Gradio servers.

Each test serves the app on 127.0.0.1 (one binds 0.0.0.0) and talks to it with httpx:
Gradio's own routes (``/login``, ``/gradio_api/upload``, ``/gradio_api/file=``) and its
queue protocol for events (``Page``), exactly as a script posting by hand would.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.interfaces.web.app import build_app
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.feedback import MAX_COMMENT_CHARS
from assistant.interfaces.web.throttle import LOCKOUT, MAX_FAILURES
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text.messages import Messages
from tests.fixtures.api import serving_api
from tests.fixtures.net import free_port
from tests.fixtures.paths import make_settings

UI = Messages.load(PROJECT_ROOT / "prompts", "ui.toml", "ko")
MB = 1024 * 1024
QUESTION = "러시아의 평양 주재 대사는 누구였나?"


@dataclass
class Served:
    url: str
    demo: Any
    settings: Settings

    @property
    def upload_dir(self) -> Path:
        return Path(self.demo.server_app.uploaded_file_dir)


@contextmanager
def serving(settings: Settings, qa: Any = None) -> Iterator[Served]:
    from assistant.interfaces.web.server import start

    demo = build_app(qa if qa is not None else Engine(), settings)
    start(demo, settings, block=False)
    try:
        yield Served(f"http://127.0.0.1:{settings.ui_port}", demo, settings)
    finally:
        demo.close()


@dataclass
class Done:
    """An event's last message and the warnings and notes it showed."""

    message: dict[str, Any]
    logs: list[str] = field(default_factory=list)


class Page:
    """One browser session, spoken over HTTP: Gradio's queue protocol with httpx."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.http = httpx.Client(base_url=url, timeout=120, headers=headers)
        self.session = secrets.token_hex(8)
        config = self.http.get("/config").json()
        names = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
        self.events = {
            (names.get(target), event): (dep["id"], target)
            for dep in config["dependencies"]
            for target, event in dep["targets"]
        }

    def join(self, elem_id: str, event: str, data: list, event_data: Any = None) -> httpx.Response:
        fn_index, trigger = self.events[(elem_id, event)]
        body = {
            "data": data,
            "event_data": event_data,
            "fn_index": fn_index,
            "trigger_id": trigger,
            "session_hash": self.session,
        }
        return self.http.post("/gradio_api/queue/join", json=body)

    def run(self, elem_id: str, event: str, data: list, event_data: Any = None) -> Done:
        joined = self.join(elem_id, event, data, event_data)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        done = Done({})
        stream = self.http.stream(
            "GET", "/gradio_api/queue/data", params={"session_hash": self.session}
        )
        with stream as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id:
                    continue
                if message.get("msg") == "log":
                    done.logs.append(message["log"])
                if message.get("msg") == "process_completed":
                    done.message = message
                    return done
        raise AssertionError("the event never completed")


# ----------------------------------------------------------------------------- feedback


def test_feedback_records_are_validated(qa, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ui_port=free_port())
    log = settings.data_dir / "feedback.jsonl"
    with serving(settings, qa) as app:
        page = Page(app.url)
        asked = page.run("send", "click", [QUESTION, [], None, 5, 0.5, 0.5, "extractive"])
        assert asked.message["success"], asked.message

        def like(index: object, liked: object, comment: object = "") -> Done:
            return page.run(
                "chat", "like", [None, comment], {"index": index, "liked": liked, "value": []}
            )

        # 20 MB in one record is refused at the door, before Gradio reads it.
        huge = page.join("chat", "like", [None, ""], {"index": 1, "liked": "x" * 20 * MB})
        assert huge.status_code == 413
        assert huge.json()["detail"] == UI.get("request_too_large")
        cases = [
            (1, "x" * 1000, "", "feedback_invalid"),  # a rating outside the fixed set
            (1, {"up": True}, "", "feedback_invalid"),
            (5, True, "", "feedback_no_answer"),  # no answer at that message
            (0, True, "", "feedback_no_answer"),  # the question itself
            (1, True, "가" * (MAX_COMMENT_CHARS + 1), "feedback_comment_too_long"),
        ]
        for index, liked, comment, key in cases:
            done = like(index, liked, comment)
            assert UI.get(key, max=MAX_COMMENT_CHARS) in done.logs, (key, done)
        assert not log.exists()

        done = like(1, True, "출처가 정확합니다")
        assert UI.get("feedback_saved") in done.logs
        assert done.message["output"]["data"] == [""]  # the comment box is emptied
        like(1, "")  # taken back
    records = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert [(r["rating"], r["comment"]) for r in records] == [
        ("up", "출처가 정확합니다"),
        ("none", ""),
    ]
    assert records[0]["question"] == QUESTION and "마체고라" in records[0]["answer"]


# ----------------------------------------------------------------------------- address and login


def test_network_address_needs_a_login_or_insecure(tmp_path: Path, capfd) -> None:
    from assistant.interfaces.web.access import Refused

    port = free_port()
    settings = Settings(data_dir=tmp_path, ui_host="0.0.0.0", ui_port=port)
    with pytest.raises(Refused) as info, serving(settings):
        pass
    assert "--insecure" in str(info.value.code)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=5)

    insecure = Settings(data_dir=tmp_path, ui_host="0.0.0.0", ui_port=port, ui_insecure=True)
    with serving(insecure) as app:
        assert httpx.get(app.url, timeout=30).status_code == 200
    assert UI.get("insecure_warning", host="0.0.0.0") in capfd.readouterr().err


def test_failed_logins_are_throttled(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, ui_port=free_port(), ui_username="reporter", ui_password="s3cret"
    )
    right = {"username": "reporter", "password": "s3cret"}
    wrong = {"username": "reporter", "password": "guess"}
    with serving(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        assert http.post("/login", data=right).status_code == 200
        for _ in range(MAX_FAILURES):
            assert http.post("/login", data=wrong).status_code == 400
        refused = http.post("/login", data=right)  # even the right password, for a while
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(int(LOCKOUT))
        assert refused.json()["detail"] == UI.get("login_throttled", seconds=int(LOCKOUT))
        assert http.post("/login", data=wrong).status_code == 429


# ----------------------------------------------------------------------------- uploads


def post_files(http: httpx.Client, *files: tuple[str, bytes]) -> httpx.Response:
    return http.post("/gradio_api/upload", files=[("files", f) for f in files])


def test_an_upload_stays_with_its_own_server(tmp_path: Path) -> None:
    one = Settings(data_dir=tmp_path / "one", ui_port=free_port())
    two = Settings(data_dir=tmp_path / "two", ui_port=free_port())
    with serving(two) as b, httpx.Client(base_url=b.url, timeout=30) as to_b:
        with serving(one) as a, httpx.Client(base_url=a.url, timeout=30) as to_a:
            assert a.upload_dir != b.upload_dir
            stored = post_files(to_a, ("secret.txt", "기밀 기사".encode()))
            assert stored.status_code == 200, stored.text
            path = Path(stored.json()[0])
            assert path.is_relative_to(a.upload_dir) and path.read_text("utf-8") == "기밀 기사"
            for http in (to_b, to_a):  # not the other server, and not even its own
                response = http.get(f"/gradio_api/file={path}")
                assert response.status_code == 403 and "기밀" not in response.text
            folder = a.upload_dir
        deadline = time.time() + 10
        while folder.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert not folder.exists()  # removed when its server stopped
        assert b.upload_dir.exists()


def test_upload_route_accepts_only_article_types_and_sizes(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, ui_port=free_port(), ui_max_upload_mb=1, ui_max_upload_request_mb=2
    )
    with serving(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        assert post_files(http, ("a.txt", b"article")).status_code == 200
        exe = post_files(http, ("setup.exe", b"MZ\x90\x00"))
        assert exe.status_code == 400
        assert exe.json()["detail"].startswith(
            UI.get("upload_type_refused", names="setup.exe", types="")[:20]
        )
        assert "setup.exe" in exe.json()["detail"] and ".jsonl" in exe.json()["detail"]
        big = post_files(http, ("big.txt", b"x" * (MB + MB // 2)))
        assert big.status_code == 413
        assert big.json()["detail"] == UI.get("upload_too_large", mb=1)
        many = post_files(http, *[(f"{i}.txt", b"x" * (MB - 1000)) for i in range(3)])
        assert many.status_code == 413
        assert many.json()["detail"] == UI.get("upload_request_too_large")
        kept = [p.name for p in app.upload_dir.rglob("*") if p.is_file()]
        assert "setup.exe" not in kept and "big.txt" not in kept


def test_event_bodies_are_bounded_even_without_a_length(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ui_port=free_port())

    def chunks() -> Iterator[bytes]:
        for _ in range(48):
            yield b"x" * 65536  # 3 MB, sent chunked

    with serving(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        response = http.post("/gradio_api/queue/join", content=chunks())
        assert response.status_code == 413
        assert response.json()["detail"] == UI.get("request_too_large")


# --------------------------------------------------------------------- one policy on the port

READER, ADMIN = "reader-key-123", "admin-key-456"
FESTIVAL = (
    "부산 불꽃축제에 관람객 127만 명\n\n"
    "부산시는 제20회 부산 불꽃축제에 관람객 127만 명이 찾았다고 밝혔다."
)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload_event(page: Page) -> Done:
    """The page's own way of indexing: store the file, then its upload event."""
    stored = post_files(page.http, ("festival.txt", FESTIVAL.encode()))
    assert stored.status_code == 200, stored.text
    data = [
        [
            {
                "path": stored.json()[0],
                "orig_name": "festival.txt",
                "meta": {"_type": "gradio.FileData"},
            }
        ]
    ]
    return page.run("upload", "upload", data)


def test_api_keys_close_the_page_routes_too(analyzer, tmp_path: Path) -> None:
    """Keys set, no page login: the page's routes need a key, its writes an admin key."""
    from assistant import Assistant

    settings = make_settings(
        tmp_path, ui_port=free_port(), api_keys=[READER], api_admin_keys=[ADMIN]
    )
    with Assistant(settings, analyzer=analyzer) as qa, serving_api(settings, qa) as app:
        with httpx.Client(base_url=app.url, timeout=60) as anonymous:
            for method, path in (("GET", "/"), ("GET", "/config"), ("POST", "/gradio_api/upload")):
                refused = anonymous.request(
                    method, path, files={"files": ("a.txt", b"x")} if method == "POST" else None
                )
                assert refused.status_code == 401, (path, refused.text)
                assert refused.headers["WWW-Authenticate"].startswith("Basic")
            call = anonymous.post("/gradio_api/call/ask", json={"data": [QUESTION, "[]"]})
            assert call.status_code == 401 and call.json()["detail"] == UI.get("page_key_needed")
            assert anonymous.get("/healthz").status_code == 200
        with httpx.Client(base_url=app.url, timeout=60, auth=("browser", READER)) as prompted:
            assert prompted.get("/").status_code == 200  # the key as a Basic password
        reader = Page(app.url, bearer(READER))
        assert post_files(reader.http, ("a.txt", b"x")).status_code == 403
        asked = reader.http.post("/gradio_api/call/ask", json={"data": [QUESTION, "[]"]})
        assert asked.status_code == 200  # reading is what a reader key is for
        admin = Page(app.url, bearer(ADMIN))
        done = upload_event(admin)
        assert done.message["success"], done.message
        assert "색인했습니다: 새 기사 1건" in done.message["output"]["data"][0]
        stored = post_files(admin.http, ("b.txt", FESTIVAL.encode())).json()[0]
        files = [[{"path": stored, "orig_name": "b.txt", "meta": {"_type": "gradio.FileData"}}]]
        by_reader = reader.run(
            "upload", "upload", files
        )  # an admin's stored file, a reader's event
        assert by_reader.message["output"]["data"][0] == UI.get("upload_forbidden")
        assert qa.store.counts()[0] == 1


def test_a_page_login_alone_closes_the_api(tmp_path: Path) -> None:
    """Only a page login set: the API needs it too (HTTP Basic), uploads included."""
    settings = make_settings(
        tmp_path, ui_port=free_port(), ui_username="reporter", ui_password="s3cret"
    )
    files = [("files", ("festival.txt", FESTIVAL.encode(), "text/plain"))]
    with serving_api(settings) as app, httpx.Client(base_url=app.url, timeout=60) as http:
        refused = http.post("/api/documents", files=files)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
            "Basic"
        )
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 401
        assert http.get("/v1/models").status_code == 401
        wrong = http.get("/v1/models", auth=("reporter", "guess"))
        assert wrong.status_code == 401
        assert http.get("/v1/models", auth=("reporter", "s3cret")).status_code == 503  # loading
        assert http.post("/gradio_api/upload", files=files).status_code == 401  # Gradio's login


def test_the_login_throttle_keys_on_the_real_peer(tmp_path: Path) -> None:
    """X-Forwarded-For is not believed unless the peer is a listed proxy."""
    settings = make_settings(
        tmp_path, ui_port=free_port(), ui_username="reporter", ui_password="s3cret"
    )
    right = {"username": "reporter", "password": "s3cret"}
    wrong = {"username": "reporter", "password": "guess"}
    with serving_api(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        codes = [
            http.post("/login", data=wrong, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(MAX_FAILURES + 1)
        ]
        assert codes[-1] == 429, codes
        spoofed = http.post("/login", data=right, headers={"X-Forwarded-For": "10.9.9.9"})
        assert spoofed.status_code == 429  # a locked-out client gains nothing by the header
        basic = http.get("/api/documents", auth=("reporter", "s3cret"))
        assert basic.status_code == 429  # nor by trying the API instead


def test_wrong_keys_are_throttled_like_logins(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ui_port=free_port(), api_keys=[READER])
    with serving_api(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        for n in range(MAX_FAILURES):
            guess = http.get(
                "/api/documents", headers={**bearer(f"guess-{n}"), "X-Forwarded-For": f"10.0.0.{n}"}
            )
            assert guess.status_code == 401
        locked = http.get("/api/documents", headers=bearer(READER))
        assert locked.status_code == 429 and locked.headers["Retry-After"]


def test_forwarded_headers_are_believed_from_listed_proxies(tmp_path: Path) -> None:
    """With the loopback proxy listed, each forwarded client has its own count."""
    settings = make_settings(
        tmp_path, ui_port=free_port(), api_keys=[READER], forwarded_allow_ips=["127.0.0.1"]
    )
    with serving_api(settings) as app, httpx.Client(base_url=app.url, timeout=30) as http:
        for _ in range(MAX_FAILURES):
            http.get("/api/documents", headers={**bearer("guess"), "X-Forwarded-For": "10.0.0.1"})
        other = http.get(
            "/api/documents", headers={**bearer(READER), "X-Forwarded-For": "10.0.0.2"}
        )
        assert other.status_code == 503  # not throttled: only loading
        same = http.get("/api/documents", headers={**bearer(READER), "X-Forwarded-For": "10.0.0.1"})
        assert same.status_code == 429
