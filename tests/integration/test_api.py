"""The HTTP API on a real server (uvicorn, the page mounted) over the session's index.

The official ``openai`` client talks to ``/v1`` (streaming and not, a follow-up, a
refusal); httpx talks to ``/api/ask``, ``/healthz`` and ``/metrics``, whose text is read
with ``prometheus_client``'s own parser.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.interfaces.api.server import Running
from tests.fixtures.api import serving_api
from tests.fixtures.net import free_port
from tests.fixtures.paths import make_settings

pytestmark = pytest.mark.api
QUESTION = "러시아의 평양 주재 대사는 누구였나?"
FOLLOW_UP = "그는 몇 년 동안 재임했어?"
UNANSWERABLE = "푸틴의 나이는?"


@pytest.fixture(scope="module")
def server(qa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    settings = make_settings(tmp_path_factory.mktemp("api"), ui_port=free_port())
    with serving_api(settings, qa) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def openai_client(server: Running) -> Any:
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused-on-loopback")


# ----------------------------------------------------------------------------- /v1


def test_openai_client_gets_an_answer_with_sources(openai_client: Any, qa) -> None:
    reply = openai_client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": QUESTION}]
    )
    text = reply.choices[0].message.content
    assert "마체고라" in text and "[1]" in text
    assert reply.choices[0].finish_reason == "stop"
    heading = qa.messages.get("sources", "ko")
    answer, _, sources = text.partition(f"\n\n{heading}:\n")
    assert sources.startswith("[1] ")
    citations = reply.model_extra["citations"]
    assert [c["number"] for c in citations] == list(range(1, len(citations) + 1))
    assert all(f"[{c['number']}]" in answer for c in citations)
    assert reply.model_extra["refused"] is False


def test_openai_stream_then_a_follow_up(openai_client: Any) -> None:
    first = openai_client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": QUESTION}]
    )
    messages = [
        {"role": "system", "content": "ignored: the articles decide"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": FOLLOW_UP},
    ]
    chunks = list(
        openai_client.chat.completions.create(model="extractive", messages=messages, stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "10년" in text  # the follow-up was answered with the first turn as history
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["sentence"] in text


def test_openai_refusal_has_no_sources(openai_client: Any, qa) -> None:
    reply = openai_client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": UNANSWERABLE}]
    )
    assert reply.choices[0].message.content == qa.messages.get("refusal", "ko")
    assert reply.model_extra["citations"] == [] and reply.model_extra["refused"] is True


def test_openai_models_and_errors(openai_client: Any) -> None:
    import openai

    assert [m.id for m in openai_client.models.list()] == ["extractive", "reader"]
    with pytest.raises(openai.NotFoundError, match="extractive"):
        openai_client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]
        )
    with pytest.raises(openai.BadRequestError, match="last message"):
        openai_client.chat.completions.create(
            model="extractive", messages=[{"role": "assistant", "content": "hello"}]
        )
    with pytest.raises(openai.BadRequestError, match="messages"):
        openai_client.chat.completions.create(model="extractive", messages=[])


# ----------------------------------------------------------------------------- /api/ask


def test_api_ask_returns_the_whole_answer(http: httpx.Client, qa) -> None:
    response = http.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "answered" and body["answerer"] == "extractive"
    assert "마체고라" in body["text"] and body["citations"]
    for c in body["citations"]:  # offsets point at the cited sentence in the document
        assert qa.store.document_text(c["doc_id"])[c["start"] : c["end"]] == c["sentence"]
    assert {"retrieve", "answer"} <= set(body["timings_ms"])
    same = qa.ask(QUESTION)
    assert body["text"] == same.text


def test_api_ask_options_and_history(http: httpx.Client) -> None:
    first = http.post("/api/ask", json={"question": QUESTION, "k": 2}).json()
    assert len(first["retrieved"]) >= 2
    follow = http.post(
        "/api/ask",
        json={"question": FOLLOW_UP, "history": [{"question": QUESTION, "answer": first["text"]}]},
    ).json()
    assert "10년" in follow["text"]
    elsewhere = {"question": QUESTION, "filters": {"sources": ["no-such-file.txt"]}}
    assert http.post("/api/ask", json=elsewhere).json()["refused"] is True


def test_api_ask_refuses_bad_input_clearly(http: httpx.Client) -> None:
    malformed = http.post(
        "/api/ask", content=b"{bad json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422 and "JSON" in malformed.json()["detail"]
    typo = http.post("/api/ask", json={"question": QUESTION, "kk": 3})
    assert typo.status_code == 422 and "kk" in typo.json()["detail"]
    empty = http.post("/api/ask", json={"question": "  "})
    assert empty.status_code == 422 and empty.json()["detail"]
    unknown = http.post("/api/ask", json={"question": QUESTION, "answerer": "gpt"})
    assert unknown.status_code == 422 and "extractive" in unknown.json()["detail"]
    huge = http.post("/api/ask", json={"question": "가" * (3 * 1024 * 1024)})
    assert huge.status_code == 413 and "MB" in huge.json()["detail"]


def test_api_ask_is_as_strict_as_the_python_api(http: httpx.Client) -> None:
    """``AskOptions(k="3")`` and ``AskOptions(k=True)`` raise; so does the JSON API."""
    for k in ("3", True, 2.5):
        response = http.post("/api/ask", json={"question": QUESTION, "k": k})
        assert response.status_code == 422 and "k" in response.json()["detail"], (k, response)
    for field, value in (("question", 3), ("answerer", True), ("history", "[]")):
        response = http.post("/api/ask", json={"question": QUESTION, field: value})
        assert response.status_code == 422, (field, response.text)
    chat = {"model": "extractive", "messages": [{"role": "user", "content": QUESTION}]}
    assert http.post("/v1/chat/completions", json={**chat, "stream": "yes"}).status_code == 400
    assert http.post("/api/ask", json={"question": QUESTION, "k": 3}).status_code == 200


def test_api_ask_streams_server_sent_events(http: httpx.Client) -> None:
    events = []
    with http.stream("POST", "/api/ask?stream=true", json={"question": QUESTION}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
    kinds = [e for e, _ in events]
    assert kinds[-1] == "answer" and kinds[:-1] and set(kinds[:-1]) == {"token"}
    assert "".join(d["text"] for e, d in events if e == "token") == events[-1][1]["text"]
    assert events[-1][1]["citations"]


def hold_ask(qa: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make ``qa.ask`` wait: ``entered`` is set once an answer is running, which then
    waits for ``release`` (at most 30 s) before answering."""
    entered, release = threading.Event(), threading.Event()
    real_ask = qa.ask

    def held_ask(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(30)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(qa, "ask", held_ask)
    return entered, release


def test_full_queue_gets_429_with_retry_after(qa, tmp_path, monkeypatch) -> None:
    settings = make_settings(
        tmp_path, ui_port=free_port(), api_concurrency=1, api_queue=0, api_queue_timeout=5
    )
    entered, release = hold_ask(qa, monkeypatch)
    with serving_api(settings, qa) as running, httpx.Client(base_url=running.url) as http:
        first: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: first.append(http.post("/api/ask", json={"question": QUESTION}))
        )
        worker.start()
        assert entered.wait(30)
        busy = http.post(
            "/v1/chat/completions",
            json={"model": "extractive", "messages": [{"role": "user", "content": QUESTION}]},
        )
        release.set()
        worker.join(60)
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) >= 1
    assert busy.json()["error"]["type"] == "rate_limit_error"
    assert first[0].status_code == 200


def test_full_page_queue_gets_429_with_a_message(qa, tmp_path, monkeypatch) -> None:
    """Gradio's queue is bounded (``ui_queue``): one more event gets 429 and ui.toml's text."""
    from assistant.settings import Settings
    from assistant.text.messages import Messages

    ui = Messages.load(Settings().prompts_dir, "ui.toml", "ko")
    settings = make_settings(tmp_path, ui_port=free_port(), ui_concurrency=1, ui_queue=1)
    entered, release = hold_ask(qa, monkeypatch)
    call = {"data": [QUESTION, "[]"]}
    with serving_api(settings, qa) as running, httpx.Client(base_url=running.url) as http:
        try:
            assert http.post("/gradio_api/call/ask", json=call).status_code == 200  # runs
            assert entered.wait(30)
            assert http.post("/gradio_api/call/ask", json=call).status_code == 200  # waits
            full = http.post("/gradio_api/call/ask", json=call)
        finally:
            release.set()
    assert full.status_code == 429 and int(full.headers["Retry-After"]) >= 1
    assert full.json()["detail"] == ui.get("queue_full", seconds=int(full.headers["Retry-After"]))


# ----------------------------------------------------------------------------- operations


def test_healthz_and_metrics(http: httpx.Client) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    health = http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ready", "documents": 8, "chunks": health.json()["chunks"]}
    http.post("/api/ask", json={"question": QUESTION})
    families = {f.name: f for f in text_string_to_metric_families(http.get("/metrics").text)}
    requests = families["assistant_http_requests"].samples
    asked = [s for s in requests if s.labels["route"] == "/api/ask" and s.name.endswith("_total")]
    assert sum(s.value for s in asked if s.labels["status"] == "200") >= 1
    stages = {s.labels["stage"] for s in families["assistant_answer_stage_seconds"].samples}
    assert {"retrieve", "answer"} <= stages
    latency = families["assistant_http_request_seconds"].samples
    assert any(s.labels.get("route") == "/api/ask" and s.name.endswith("_count") for s in latency)
    assert families["assistant_index_documents"].samples[0].value == 8


def test_healthz_is_503_while_loading(tmp_path) -> None:
    settings = make_settings(tmp_path, ui_port=free_port())
    with serving_api(settings) as running:
        health = httpx.get(f"{running.url}/healthz")
        asked = httpx.post(f"{running.url}/api/ask", json={"question": QUESTION})
        page = httpx.get(f"{running.url}/")
    assert health.status_code == 503 and health.json()["status"] == "loading"
    assert asked.status_code == 503 and asked.headers["Retry-After"]
    assert page.status_code == 200  # the page is served while the model loads


def test_docs_and_page_are_served_by_the_same_server(http: httpx.Client) -> None:
    assert http.get("/docs").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/documents", "/v1/chat/completions", "/healthz"} <= set(paths)
    assert "gradio" in http.get("/").text.lower()
    assert http.get("/config").status_code == 200


def test_the_page_keeps_its_defences_when_mounted(tmp_path) -> None:
    """The page's limits (``web.limits``) sit on the mounted Gradio app, not on the API."""
    from pathlib import Path

    from assistant.settings import Settings
    from assistant.text.messages import Messages

    ui = Messages.load(Settings().prompts_dir, "ui.toml", "ko")
    settings = make_settings(tmp_path, ui_port=free_port())

    def chunks() -> Iterator[bytes]:
        for _ in range(48):
            yield b"x" * 65536  # 3 MB, sent chunked

    with serving_api(settings) as running, httpx.Client(base_url=running.url) as http:
        assert running.uploads is not None
        stored = http.post("/gradio_api/upload", files=[("files", ("a.txt", "기밀".encode()))])
        assert stored.status_code == 200
        path = Path(stored.json()[0])
        assert path.is_relative_to(running.uploads.path)
        assert http.get(f"/gradio_api/file={path}").status_code == 403
        exe = http.post("/gradio_api/upload", files=[("files", ("setup.exe", b"MZ"))])
        assert exe.status_code == 400 and "setup.exe" in exe.json()["detail"]
        joined = http.post("/gradio_api/queue/join", content=chunks())
        assert joined.status_code == 413
        assert joined.json()["detail"] == ui.get("request_too_large")
        folder = running.uploads.path
    assert not folder.exists()  # removed when the server stopped
