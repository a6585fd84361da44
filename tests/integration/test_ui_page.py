"""The page in headless Chromium: panels that never cover each other, Gradio's own strings
in Korean whatever the browser's language, and the short answer marked in reply and source.

Fixtures and helpers (``browser``, ``app``, ``page``, ``ask``) are in ``tests/fixtures/browser``.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from assistant.interfaces.web.locale import gradio_texts
from assistant.settings import PROJECT_ROOT
from tests.fixtures.browser import BOT, App, ask, open_page, shot

GRADIO_KO = gradio_texts(PROJECT_ROOT / "prompts", "ko")
AMBASSADOR = "러시아의 평양 주재 대사는 누구였나?"
THREE = [
    AMBASSADOR,
    "북한이 러시아에 보낸 병력 규모는?",
    "트럼프 미국 대통령의 중국 방문은 몇 월로 거론되나?",
]
PANELS = ("#chat", "#sources", "#retrieved-panel", "#settings-panel", "#upload")

# Where an element and everything inside it is painted: the union of its descendants'
# boxes, each cut to the ancestors (up to the element) that clip their overflow. Content
# spilling out of a panel counts; content scrolled out of sight inside it does not.
PAINTED = """(sel) => {
  const root = document.querySelector(sel);
  const clips = (el) => { const s = getComputedStyle(el);
                          return s.overflowX !== 'visible' || s.overflowY !== 'visible'; };
  const r0 = root.getBoundingClientRect();
  let box = [r0.left, r0.top, r0.right, r0.bottom];
  for (const el of root.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a && a !== root.parentElement; a = a.parentElement) {
      if (!clips(a)) continue;
      const c = a.getBoundingClientRect();
      [l, t, rt, b] = [Math.max(l, c.left), Math.max(t, c.top),
                       Math.min(rt, c.right), Math.min(b, c.bottom)];
    }
    if (rt <= l || b <= t) continue;
    box = [Math.min(box[0], l), Math.min(box[1], t), Math.max(box[2], rt), Math.max(box[3], b)];
  }
  return box;
}"""


def overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    """Whether two boxes [left, top, right, bottom] share more than ``slack`` px each way."""
    wide = min(a[2], b[2]) - max(a[0], b[0])
    tall = min(a[3], b[3]) - max(a[1], b[1])
    return wide > slack and tall > slack


def test_overlap_sees_shared_area_only() -> None:
    assert overlap([0, 0, 10, 10], [5, 5, 20, 20])
    assert not overlap([0, 0, 10, 10], [0, 10, 10, 20])  # touching edges
    assert not overlap([0, 0, 10, 10], [11, 0, 20, 10])


@pytest.mark.browser
def test_sources_panel_never_covers_the_panels_below(browser: Any, app: App) -> None:
    """Three answers with every answer's sources open: the panel scrolls, nothing overlaps."""
    page = open_page(browser, app.url, height=1100)
    try:
        page.wait_for_selector("#question textarea")
        for question in THREE:
            ask(page, question)
        folded = page.locator("#sources details:not([open]) > summary")
        for _ in range(folded.count()):  # the older answers' sources, as a reader opens them
            folded.first.click()
        assert page.locator("#sources details[open]").count() == 3
        page.click("#retrieved-panel .label-wrap")  # and the table beneath, five passages long
        page.wait_for_selector("#retrieved table.retrieved", state="visible")
        page.wait_for_timeout(300)
        shot(page, "08-three-answers-sources-open")
        boxes = {sel: page.evaluate(PAINTED, sel) for sel in PANELS}
        for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
            assert not overlap(box_a, box_b), (a, box_a, b, box_b)
        below = boxes["#retrieved-panel"][1]
        assert boxes["#sources"][3] <= below and boxes["#settings-panel"][1] >= below
        # the sources were taller than their room: they scroll, the newest still in view
        tall = page.evaluate(
            "() => [...document.querySelectorAll('#sources, #sources *')]"
            ".some(e => e.scrollHeight > e.clientHeight + 1"
            " && getComputedStyle(e).overflowY !== 'visible')"
        )
        assert tall
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["ko-KR", "en-US", "de-DE"])
def test_gradio_strings_are_korean_in_any_browser(browser: Any, app: App, locale: str) -> None:
    page = open_page(browser, app.url, locale=locale)
    try:
        page.wait_for_selector("#upload input[type=file]", state="attached")
        upload = page.inner_text("#upload")
        for key in ("upload_text.drop_file", "upload_text.click_to_upload", "common.or"):
            assert GRADIO_KO[key] in upload, (key, upload)
        for english in ("Drop File Here", "Click to Upload", "- or -"):
            assert english not in upload
        footer = page.inner_text("footer")
        assert GRADIO_KO["errors.use_via_api"] in footer and "Use via API" not in footer
        if locale == "en-US":  # the chat's own buttons too, once there is an answer
            ask(page, AMBASSADOR)
            like = page.locator(f"#chat button[aria-label='{GRADIO_KO['chatbot.like']}']")
            assert like.count() >= 1
            assert page.locator("#chat button[aria-label='Like']").count() == 0
            copy = page.locator(f"#chat [aria-label='{GRADIO_KO['chatbot.copy_message']}']")
            assert copy.count() >= 1
            shot(page, "09-english-browser-korean-page")
    finally:
        page.context.close()


def marks(page: Any, selector: str) -> list[str]:
    return [" ".join(m.split()) for m in page.locator(selector).all_inner_texts()]


@pytest.mark.browser
def test_short_answer_is_marked_when_the_answerer_gives_one(page: Any, qa) -> None:
    """The real stack: whenever the answer has a short answer, reply and source mark it."""
    short = qa.ask(AMBASSADOR).short_answer
    text = ask(page, AMBASSADOR)
    in_reply = marks(page, f"{BOT} mark.short")
    in_source = marks(page, "#sources #turn-1 mark mark.short")
    if short:
        assert in_reply == [" ".join(short.split())], (short, in_reply, text)
        assert " ".join(short.split()) in in_source, (short, in_source)
    else:  # the answerer does not fill it yet: nothing is marked as one
        assert in_reply == [] and in_source == []
        assert page.locator("#sources mark.short").count() == 0


@pytest.mark.browser
def test_short_answer_marks_render_in_reply_and_source(page: Any, qa, monkeypatch) -> None:
    """A real answer given a short answer and its span: both marks reach the page."""
    real = qa.ask(AMBASSADOR)
    name = "알렉산드르 마체고라"
    cited = next(c for c in real.citations if name in c.sentence)
    at = cited.start + (cited.text[cited.start - cited.chunk_start :].index(name))
    citations = tuple(
        replace(c, highlight=(at, at + len(name))) if c is cited else c for c in real.citations
    )
    answer = replace(real, short_answer=name, citations=citations)
    monkeypatch.setattr(qa, "ask", lambda *args, **kwargs: answer)
    ask(page, AMBASSADOR)
    assert marks(page, f"{BOT} mark.short") == [name]
    entry = f"#sources #src-1-{cited.number}"
    assert marks(page, f"{entry} mark mark.short") == [name]  # inside the sentence's mark
    assert page.locator("#sources mark.short").count() == 1
    shot(page, "10-short-answer-marked")
