"""The browser chat: a Gradio app over one shared ``Assistant``.

The model and index are loaded once per process and shared by every visitor; what belongs
to one visitor (the conversation, the answers' sources, the search settings) lives in that
browser session's component values and ``gr.State``, so nothing leaks between sessions.
``launch`` serves the page at once and loads the engine in a background thread, with a
status line saying what it is doing; questions asked before it is ready get a "still
loading" reply. Only a visitor who may write (``api.auth.Policy``) indexes uploads.
Per-session settings (k, fusion weights, answerer) go with each question
as ``AskOptions``. Chat Markdown lives in ``render``, the panels' HTML in ``panels``,
serving in ``server``, Gradio's own strings in ``locale``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.answering.llm.client import configured_answerers
from assistant.interfaces.api.auth import Policy
from assistant.interfaces.web.engine import Engine
from assistant.interfaces.web.export import DOWNLOAD_JS, conversation_json
from assistant.interfaces.web.feedback import FeedbackLog, comment_box, rate_handler
from assistant.interfaces.web.panels import CITE_LINK_JS, PANEL_CSS, retrieved_html, sources_html
from assistant.interfaces.web.render import (
    answer_markdown,
    md_escape,
    parse_history,
    stream_prefixes,
    turn_record,
)
from assistant.interfaces.web.uploads import UPLOAD_TYPES, ingest_uploads
from assistant.pipeline.options import AskOptions
from assistant.settings import Settings
from assistant.text.messages import Messages, language_of

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant

log = logging.getLogger(__name__)
UPLOAD_CACHE = (600, 3600)  # every 10 min, delete Gradio's copies of uploads over an hour old
STREAM_DELAY = 0.02  # seconds between streamed steps of an answer already complete
SKIP2 = (gr.skip(), gr.skip())
OK_STATUSES = ("answered", "refused")  # turns a follow-up may lean on
APP_CSS = """#status p { margin: 0; }
#chat mark.short { background: #fcd34d; color: #111; font-weight: 700; padding: 0 .15em;
                   border-radius: 2px; }
#chat a[href*="#src-"] { color: var(--color-accent); font-weight: 600; text-decoration: none; }"""


def build_app(qa: Assistant | Engine, settings: Settings, *, language: str = "ko") -> gr.Blocks:
    """The chat page over ``qa`` (an Assistant, or an Engine still loading one)."""
    engine = qa if isinstance(qa, Engine) else Engine(qa)
    texts = Messages.load(settings.prompts_dir, "ui.toml", language)
    t = texts.get
    policy = Policy(settings, Messages.load(settings.prompts_dir, "api.toml", language))

    def status_md() -> str:
        return md_escape(engine.status(texts))  # an error message may hold any characters

    def past(turns: list[dict[str, Any]]) -> list[tuple[str, str]]:  # as the CLI chat keeps it
        return [(x["question"], x["answer"]) for x in turns if x["status"] in OK_STATUSES]

    def reply(chat: list, text: str, turns: list) -> tuple:  # a message, not an answer
        return "", [*chat, {"role": "assistant", "content": md_escape(text)}], turns, *SKIP2

    def respond(
        message: str, chat: list, turns: list, k: int, bm25: float, dense: float, answerer: str
    ):
        question = (message or "").strip()
        if not question:
            yield (*[gr.skip()] * 5,)
            return
        chat = [*(chat or []), {"role": "user", "content": md_escape(question)}]
        lang = language_of(question)
        if not engine.ready:
            yield reply(
                chat, engine.status(texts) if engine.failed else t("still_loading", lang), turns
            )
            return
        yield reply(chat, "…", turns)
        answer, draft = None, ""
        try:
            qa = engine.qa
            options = session_options(engine, int(k), float(bm25), float(dense), answerer)
            if qa.answerers[options.answerer].generative:
                # The model's own tokens, as they arrive; the checked answer replaces them.
                for part in qa.stream(question, past(turns), options=options):
                    if isinstance(part, str):
                        draft += part
                        message = {"role": "assistant", "content": md_escape(draft)}
                        yield gr.skip(), [*chat, message], *[gr.skip()] * 3
                    else:
                        answer = part
            else:
                answer = qa.ask(question, past(turns), options=options)
            assert answer is not None
        except Exception:
            log.exception("answering %r failed", question)
            yield reply(chat, t("error", lang), turns)
            return
        turn = turn_record(answer, len(turns) + 1, len(chat))
        turn.update(k=int(k), bm25_weight=float(bm25), dense_weight=float(dense))
        numbers = {c.number for c in answer.citations}
        for prefix in [answer.text] if draft else stream_prefixes(answer.text):
            text = answer_markdown(prefix, numbers, turn["turn"], answer.short_answer)
            yield gr.skip(), [*chat, {"role": "assistant", "content": text}], *[gr.skip()] * 3
            time.sleep(STREAM_DELAY)
        turns = [*turns, turn]
        yield gr.skip(), gr.skip(), turns, sources_html(turns, texts), retrieved_html(turn, texts)

    def clear() -> tuple:
        return "", [], [], sources_html([], texts), retrieved_html(None, texts)

    def upload(
        files: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ):
        if not policy.may_write(request.headers, request.username):
            return t("upload_forbidden"), status_md()
        if not engine.ready:
            return t("still_loading"), status_md()
        try:
            return ingest_uploads(engine, settings, texts, files or [], progress), status_md()
        except Exception as exc:
            from assistant.errors import StoreUnavailable

            if isinstance(exc, StoreUnavailable):  # unreachable, full, damaged, busy: say so
                log.warning("ingesting uploads failed: %s", exc)
                return md_escape(t("upload_store_failed", error=exc)), status_md()
            log.exception("ingesting uploads failed")
            return t("upload_failed"), status_md()

    def refresh() -> tuple:
        """The status line and the upload box follow the engine as it loads."""
        active = not engine.ready and engine.failed is None
        return status_md(), gr.update(interactive=engine.ready), gr.Timer(active=active)

    def api_ask(question: str, history: str = "[]") -> str:
        """One answer's text, for scripts: history is a JSON list of [question, answer]."""
        try:
            pairs = parse_history(history)
        except ValueError as exc:
            raise gr.Error(t("bad_history")) from exc
        lang = language_of(question or "")
        if not engine.ready:
            return engine.status(texts) if engine.failed else t("still_loading", lang)
        try:
            return engine.qa.ask(question, pairs).text
        except Exception:
            log.exception("answering %r failed", question)
            return t("error", lang)

    def api_status() -> dict[str, Any]:
        """Whether the engine is ready, and the status line the page shows."""
        return dict(
            ready=engine.ready, failed=engine.failed is not None, status=engine.status(texts)
        )

    rate = rate_handler(FeedbackLog(settings.data_dir / "feedback.jsonl"), texts)
    blocks = {"title": t("title"), "analytics_enabled": False, "fill_width": True}
    with gr.Blocks(**blocks, delete_cache=UPLOAD_CACHE) as demo:
        turns = gr.State([])
        gr.Markdown(f"## {t('title')}\n{t('intro')}")
        status = gr.Markdown(status_md(), elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label=t("chat_label"),
                    elem_id="chat",
                    height=520,
                    latex_delimiters=[],
                    placeholder=t("chat_placeholder"),
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    box = gr.Textbox(
                        show_label=False,
                        placeholder=t("question_placeholder"),
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                        max_lines=4,
                    )
                    send = gr.Button(t("send"), variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    gr.Examples(t("examples"), inputs=box, label=t("examples_label"))
                    clear_btn = gr.Button(t("clear"), elem_id="clear", size="sm", scale=0)
                    export_btn = gr.Button(t("export"), elem_id="export", size="sm", scale=0)
                exported = gr.Textbox(visible="hidden", elem_id="export-data")
                comment = comment_box(texts)
            with gr.Column(scale=2):
                gr.Markdown(f"### {t('sources_label')}")
                sources = gr.HTML(
                    sources_html([], texts),
                    elem_id="sources",
                    css_template=PANEL_CSS,
                    js_on_load=CITE_LINK_JS,
                )
                with gr.Accordion(t("retrieved_label"), open=False, elem_id="retrieved-panel"):
                    retrieved = gr.HTML(
                        retrieved_html(None, texts),
                        elem_id="retrieved",
                        css_template=PANEL_CSS,
                    )
                with gr.Accordion(t("settings_label"), open=False, elem_id="settings-panel"):
                    k = gr.Slider(
                        1, 20, settings.k, step=1, elem_id="top-k", label=t("top_k_label")
                    )
                    weight = {"minimum": 0, "maximum": 1, "step": 0.05}
                    bm25 = gr.Slider(
                        value=settings.bm25_weight, elem_id="bm25", label=t("bm25_label"), **weight
                    )
                    dense = gr.Slider(
                        value=settings.dense_weight,
                        elem_id="dense",
                        label=t("dense_label"),
                        **weight,
                    )
                    answerer = gr.Dropdown(
                        [(t(f"answerer_{n}"), n) for n in configured_answerers(settings)],
                        value=settings.answerer,
                        label=t("answerer_label"),
                        elem_id="answerer",
                    )
                files = gr.File(
                    label=t("upload_label", mb=settings.ui_max_upload_mb),
                    file_count="multiple",
                    file_types=list(UPLOAD_TYPES),
                    elem_id="upload",
                    interactive=engine.ready,
                )
                upload_status = gr.Markdown(elem_id="upload-status")
        timer = gr.Timer(1.0, active=not engine.ready)

        ui = {"api_visibility": "undocumented"}
        chat_io = {
            "inputs": [box, chat, turns, k, bm25, dense, answerer],
            "outputs": [box, chat, turns, sources, retrieved],
        }
        box.submit(respond, **chat_io, **ui)
        send.click(respond, **chat_io, **ui)
        clear_btn.click(clear, outputs=[box, chat, turns, sources, retrieved], **ui)
        chat.clear(clear, outputs=[box, chat, turns, sources, retrieved], **ui)  # its bin icon
        export_btn.click(conversation_json, inputs=turns, outputs=exported, **ui).then(
            None, inputs=exported, js=DOWNLOAD_JS, **ui
        )
        chat.like(rate, inputs=[turns, comment], outputs=comment, **ui)
        files.upload(upload, inputs=files, outputs=[upload_status, status], **ui)
        refresh_io = {"outputs": [status, files, timer], "concurrency_limit": None}
        timer.tick(refresh, **refresh_io, **ui)
        demo.load(refresh, **refresh_io, **ui)
        gr.api(api_ask, api_name="ask")
        gr.api(api_status, api_name="status", concurrency_limit=None)
    return demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue)


def session_options(engine: Engine, k: int, bm25: float, dense: float, answerer: str) -> AskOptions:
    """This session's settings as request options (weights summing to 0 mean the defaults)."""
    assert engine.qa is not None
    fusion = engine.qa.search.fusion
    if bm25 + dense > 0:
        fusion = replace(fusion, bm25_weight=round(bm25, 3), dense_weight=round(dense, 3))
    if answerer not in engine.qa.answerers:
        answerer = engine.qa.settings.answerer
    return AskOptions(k=k, fusion=fusion, answerer=answerer)
