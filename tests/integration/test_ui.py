"""The browser app: rendering helpers (fast), then the real page in headless Chromium.

The browser tests drive Debian's Chromium (``tests/fixtures/browser``) against the app
served in this process over the session's ``qa`` (bundled corpus ingested), plus one run
of ``app.py`` in a subprocess over a fresh data dir to see the first start. Screenshots
go to ``artifacts/screenshots/``; layout, locale and highlighting are in ``test_ui_page``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT
from assistant.text.messages import Messages
from tests.fixtures.browser import BOT, App, ask, bot_text, open_page, shot
from tests.fixtures.net import free_port
from tests.fixtures.paths import MODEL_DIR, SEED, make_settings

UI = Messages.load(PROJECT_ROOT / "prompts", "ui.toml", "ko")
MESSAGES = Messages.load(PROJECT_ROOT / "prompts")

# A made-up article the bundled corpus knows nothing about; its last paragraph carries
# markup that must show as text, never render or run.
FESTIVAL = "\n\n".join(
    [
        "부산 불꽃축제, 올해 관람객 127만 명 몰려",
        "부산시는 지난 토요일 광안리 해수욕장 일대에서 열린 제20회 부산 불꽃축제에 관람객 "
        "127만 명이 찾았다고 밝혔다. 이는 지난해보다 약 9만 명 늘어난 규모다.",
        "축제 조직위원회는 올해 처음으로 드론 500대를 동원한 공연을 선보였다고 설명했다.",
        '행사 안내문에는 <img src=x onerror="window.__xss=1"> 와 '
        "<script>window.__xss=2</script> 같은 문자열이 그대로 적혀 있었다.",
    ]
)


# ----------------------------------------------------------------------------- rendering


def test_session_settings_travel_with_the_question(qa) -> None:
    from assistant.interfaces.web.app import session_options
    from assistant.interfaces.web.engine import Engine

    before = (qa.search.fusion, qa.chain)
    options = session_options(Engine(qa), 5, 0.0, 1.0, "extractive")
    assert (options.fusion.bm25_weight, options.fusion.dense_weight) == (0.0, 1.0)
    answer = qa.ask("러시아의 평양 주재 대사는 누구였나?", options=options)
    assert all(d.metadata["bm25"] == 0 for d in answer.documents)
    assert (qa.search.fusion, qa.chain) == before  # the shared parts are untouched
    assert session_options(Engine(qa), 5, 0.0, 0.0, "extractive").fusion == qa.search.fusion


# ----------------------------------------------------------------------------- browser


# Records every length the latest bot message passes through while it is shown.
STREAM_WATCH = """() => {
  window.__botLengths = new Set();
  new MutationObserver(() => {
    const bot = [...document.querySelectorAll("#chat [data-testid='bot']")].pop();
    if (bot) window.__botLengths.add(bot.innerText.length);
  }).observe(document.querySelector('#chat'),
             {subtree: true, childList: true, characterData: true});
}"""


def followup_cases() -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in SEED.read_text("utf-8").splitlines() if line.strip()]
    return [c for c in cases if "followup" in c.get("tags", [])]


@pytest.mark.browser
def test_conversation_with_citations_and_followups(page: Any) -> None:
    page.evaluate(STREAM_WATCH)
    text = ask(page, "러시아의 평양 주재 대사는 누구였나?")
    assert "마체고라" in text and "[1]" in text
    assert page.evaluate("window.__botLengths.size") >= 4  # it grew in steps: streamed
    # every [1] of the reply (the short answer's and its sentence's) is a link to source 1
    assert page.locator(f"{BOT} a[href='#src-1-1']").count() == text.count("[1]") >= 1
    marks = [" ".join(m.split()) for m in page.locator("#sources #turn-1 mark").all_inner_texts()]
    assert marks and all(m in text for m in marks), (marks, text)
    assert any("마체고라" in m for m in marks)
    # A marker leads to its entry in the sources panel, in this tab.
    page.locator(f"{BOT} a[href='#src-1-1']").first.click()
    page.wait_for_selector("#src-1-1.flash")
    assert len(page.context.pages) == 1
    shot(page, "01-answer-with-sources")

    assert "10년" in ask(page, "그는 몇 년 동안 재임했어?")
    assert page.locator("#sources details[open]").get_attribute("id") == "turn-2"
    shot(page, "02-followup")

    page.click("#clear")
    page.wait_for_selector('#sources [data-turn="0"]', state="attached")
    assert page.locator(BOT).count() == 0
    assert UI.get("sources_empty") in page.inner_text("#sources")

    second = followup_cases()[1]
    for step in second["turns"]:
        text = ask(page, step["question"])
        assert any(gold in text for gold in step["answers"]), (step, text)
    page.click("#retrieved-panel .label-wrap")
    page.wait_for_selector("#retrieved table.retrieved", state="visible")
    rows = page.locator("#retrieved tbody tr")
    assert rows.count() == 5
    assert re.fullmatch(r"\d\.\d{3}", rows.first.locator("td").nth(2).inner_text().strip())
    shot(page, "03-second-followup-and-retrieved")


@pytest.mark.browser
def test_conversation_exports_as_json(page: Any) -> None:
    first = ask(page, "러시아의 평양 주재 대사는 누구였나?")
    ask(page, "푸틴의 나이는?")
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename == "conversation.json"
    exported = json.loads(Path(download.value.path()).read_text("utf-8"))
    one, two = exported["turns"]
    assert one["question"] == "러시아의 평양 주재 대사는 누구였나?" and one["status"] == "answered"
    assert " ".join(one["answer"].split()) in first
    assert one["citations"] and {"number", "doc_id", "title", "sentence", "start", "end"} <= set(
        one["citations"][0]
    )
    assert two["refused"] is True and two["citations"] == []


@pytest.mark.browser
def test_settings_apply_to_this_session_only(page: Any, qa) -> None:
    page.click("#settings-panel .label-wrap")
    for slider, value in (("#top-k", "2"), ("#bm25", "0")):
        box = page.locator(f"{slider} input[type=number]")
        box.fill(value)
        box.press("Enter")
        box.blur()
        # the value reaches the slider (and so the next request) asynchronously
        page.wait_for_function(
            "([sel, v]) => Number(document.querySelector(sel + ' input[type=range]').value)"
            " === Number(v)",
            arg=[slider, value],
            timeout=30_000,  # 10 s was seen to run out at load average 10
        )
    assert "마체고라" in ask(page, "러시아의 평양 주재 대사는 누구였나?")
    page.click("#retrieved-panel .label-wrap")
    page.wait_for_selector("#retrieved table.retrieved", state="visible")
    rows = page.locator("#retrieved tbody tr")
    assert rows.count() == 2
    assert {rows.nth(i).locator("td").nth(3).inner_text() for i in range(2)} == {"0.000"}
    assert (qa.search.fusion.bm25_weight, qa.search.fusion.dense_weight) == (
        qa.settings.bm25_weight,
        qa.settings.dense_weight,
    )
    shot(page, "04-settings")


@pytest.mark.browser
def test_rating_an_answer_appends_to_feedback_jsonl(page: Any, app: App) -> None:
    question = "북한이 러시아에 보낸 병력 규모는?"
    assert "1만 5천" in ask(page, question)
    path = app.settings.data_dir / "feedback.jsonl"
    before = len(path.read_text("utf-8").splitlines()) if path.exists() else 0
    page.locator("#chat button[aria-label='좋아요']").last.click()
    deadline = time.time() + 20
    while time.time() < deadline and (
        not path.exists() or len(path.read_text("utf-8").splitlines()) == before
    ):
        time.sleep(0.2)
    record = json.loads(path.read_text("utf-8").splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == question
    assert "1만 5천" in record["answer"] and record["citations"][0]["sentence"]
    assert record["time"] and record["settings"]["k"] == app.settings.k


@pytest.mark.browser
def test_uploaded_article_can_be_asked_about(page: Any, app: App, tmp_path: Path) -> None:
    article = tmp_path / "busan_fireworks.txt"
    article.write_text(FESTIVAL, "utf-8")
    page.set_input_files("#upload input[type=file]", str(article))
    done = UI.get("upload_done").split(":")[0]
    page.wait_for_function(
        "t => document.querySelector('#upload-status').innerText.includes(t)", arg=done
    )
    assert (app.settings.data_dir / "uploads" / article.name).read_text("utf-8") == FESTIVAL
    text = ask(page, "부산 불꽃축제 관람객은 몇 명이었나?")
    assert "127만" in text, text
    assert "busan_fireworks.txt" in page.inner_text("#sources")
    page.click("#retrieved-panel .label-wrap")
    page.wait_for_selector("#retrieved table.retrieved", state="visible")
    assert "<img src=x onerror" in page.inner_text("#retrieved")  # shown as text
    assert page.evaluate("window.__xss") is None  # and never run
    shot(page, "05-upload")


@pytest.mark.browser
def test_unanswerable_question_gets_the_refusal(page: Any) -> None:
    assert ask(page, "푸틴 대통령의 나이는?") == MESSAGES.get("refusal", "ko")
    assert page.locator("#sources mark").count() == 0
    shot(page, "06-refusal")


@pytest.mark.browser
def test_a_failure_shows_a_friendly_message(page: Any, qa, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index on fire")

    monkeypatch.setattr(qa, "ask", broken)
    page.fill("#question textarea", "러시아의 평양 주재 대사는 누구였나?")
    page.click("#send")
    expected = " ".join(UI.get("error").split())
    page.wait_for_function(
        "t => [...document.querySelectorAll(\"#chat [data-testid='bot']\")]"
        ".some(m => m.innerText.includes(t))",
        arg=expected[:20],
    )
    assert bot_text(page) == expected
    assert "Traceback" not in page.inner_text("body") and "on fire" not in page.inner_text("body")


@pytest.mark.browser
def test_api_endpoints_for_scripts(app: App) -> None:
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    assert client.predict(api_name="/status")["ready"] is True
    first = "러시아의 평양 주재 대사는 누구였나?"
    answer = client.predict(first, "[]", api_name="/ask")
    assert "마체고라" in answer
    history = json.dumps([[first, answer]], ensure_ascii=False)
    assert "10년" in client.predict("그는 몇 년 동안 재임했어?", history, api_name="/ask")


@pytest.mark.browser
def test_login_when_credentials_are_set(qa, browser: Any, tmp_path: Path) -> None:
    from assistant.interfaces.web.app import build_app
    from assistant.interfaces.web.server import start

    settings = make_settings(
        tmp_path, ui_port=free_port(), ui_username="reporter", ui_password="s3cret"
    )
    demo = build_app(qa, settings)
    start(demo, settings, block=False)
    page = open_page(browser, f"http://127.0.0.1:{settings.ui_port}/")
    try:
        page.wait_for_selector("input[type=password]")
        assert page.locator("#question").count() == 0
        page.locator("input[type=text]").first.fill("reporter")
        page.fill("input[type=password]", "s3cret")
        page.keyboard.press("Enter")
        page.wait_for_selector("#question textarea")
    finally:
        page.context.close()
        demo.close()


@pytest.mark.browser
def test_with_keys_the_browser_asks_for_one(qa, browser: Any, tmp_path: Path) -> None:
    """Keys set, no login (``assistant serve``): the page opens with a key given to the
    browser's own prompt (HTTP Basic, the key as the password), and answers."""
    from tests.fixtures.api import serving_api

    settings = make_settings(tmp_path, ui_port=free_port(), api_keys=["reader-key-123"])
    with serving_api(settings, qa) as running:
        stranger = browser.new_context()
        try:
            assert stranger.request.get(f"{running.url}/").status == 401
        finally:
            stranger.close()
        context = browser.new_context(
            locale="ko-KR", http_credentials={"username": "me", "password": "reader-key-123"}
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{running.url}/")
            page.wait_for_selector("#question textarea")
            assert "마체고라" in ask(page, "러시아의 평양 주재 대사는 누구였나?")
        finally:
            context.close()


@pytest.mark.browser
def test_first_start_serves_the_page_while_loading(browser: Any, tmp_path: Path) -> None:
    """``python app.py`` over an empty data dir: status line first, then answers."""
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
        "ASSISTANT_UI_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
    }
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "app.py")], env=env, stdout=log, stderr=log
    )
    try:
        page = open_page_when_up(browser, f"http://127.0.0.1:{port}/", proc)
        status = page.inner_text("#status")
        loading = [UI.get(k) for k in ("status_starting", "status_loading_model")]
        loading.append(UI.get("status_ingesting", count=1))
        ready = UI.get("status_ready", docs=8, chunks=0).split("—")[0].strip()
        if status in loading:
            shot(page, "00-first-start-loading")
            reply = ask_raw(page, "러시아의 평양 주재 대사는 누구였나?")
            just_ready = ready in page.inner_text("#status")  # it may finish meanwhile
            assert UI.get("still_loading") in reply or (just_ready and "마체고라" in reply)
        page.wait_for_function(
            "t => document.querySelector('#status').innerText.includes(t)",
            arg=ready,
            timeout=300_000,
        )
        assert page.locator("#upload input[type=file]").is_enabled()
        page.click("#clear")
        page.wait_for_selector('#sources [data-turn="0"]', state="attached")
        assert "마체고라" in ask(page, "러시아의 평양 주재 대사는 누구였나?")
        shot(page, "07-first-start-ready")
        page.context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    output = (tmp_path / "app.log").read_text("utf-8")
    assert UI.get("status_loading_model") in output and "Traceback" not in output


def open_page_when_up(browser: Any, url: str, proc: subprocess.Popen) -> Any:
    import urllib.request

    deadline = time.time() + 120
    while True:
        assert proc.poll() is None, "app.py exited"
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)
    page = open_page(browser, url)
    page.wait_for_selector("#question textarea")
    return page


def ask_raw(page: Any, question: str) -> str:
    """Ask where no turn completes (the engine is loading): wait for any new reply."""
    before = page.locator(BOT).count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(f'document.querySelectorAll("{BOT}").length > {before}')
    return bot_text(page)
