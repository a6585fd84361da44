"""The browser chat: a Gradio app over one shared ``Assistant``.

The model and index are loaded once per process and shared by every visitor; what belongs
to one visitor (the conversation, the answers' sources, the search settings) lives in that
browser session's component values and ``gr.State``, so nothing leaks between sessions.
``launch`` serves the page at once and loads the engine in a background thread, with a
status line saying what it is doing; questions asked before it is ready get a "still
loading" reply. HTML rendering lives in ``ui_render``.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.answering.llm.generation import configured_answerers
from assistant.interfaces.web.render import (
    CITE_LINK_JS,
    PANEL_CSS,
    UiTexts,
    answer_markdown,
    feedback_record,
    md_escape,
    parse_history,
    retrieved_html,
    sources_html,
    stream_prefixes,
    turn_record,
    upload_summary,
)
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant

log = logging.getLogger(__name__)
UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
UPLOAD_STEPS = 10  # most ingest calls per upload (each rebuilds the BM25 index once)
STREAM_DELAY = 0.02  # seconds between streamed steps of an answer already complete
THEME_FONTS = ["Pretendard", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "system-ui"]
SKIP2 = (gr.skip(), gr.skip())
OK_STATUSES = ("answered", "refused")  # turns a follow-up may lean on
LAUNCH = dict(
    share=False, ssr_mode=False, show_error=False, footer_links=["api"], max_file_size="50mb"
)
APP_CSS = """#status p { margin: 0; } #sources { max-height: 640px; overflow-y: auto; }
#chat a[href*="#src-"] { color: var(--color-accent); font-weight: 600; text-decoration: none; }"""


class Engine:
    """The shared Assistant, or why it is not there yet; plus per-setting views of it."""

    def __init__(self, qa: Assistant | None = None) -> None:
        self.qa = qa
        self.failed: str | None = None
        self._status: tuple[str, dict[str, Any]] = ("status_starting", {})
        self._views: dict[tuple[float, float, str], Assistant] = {}
        self._lock = threading.Lock()
        self.ingest_lock = threading.Lock()  # one ingest at a time; asks go on meanwhile

    @property
    def ready(self) -> bool:
        return self.qa is not None

    def status(self, texts: UiTexts) -> str:
        if self.failed is not None:
            return texts.get("status_failed", error=self.failed)
        if self.qa is not None:
            docs, chunks = self.qa.store.counts()
            return texts.get("status_ready", docs=docs, chunks=chunks)
        key, values = self._status
        return texts.get(key, **values)

    def load(self, settings: Settings, ingest: bool, texts: UiTexts) -> None:
        """Build the Assistant and ingest the corpus folder, saying so on page and terminal."""

        def say(key: str, **values: Any) -> None:
            self._status = (key, values)
            print(texts.get(key, **values), file=sys.stderr, flush=True)

        try:
            say("status_loading_model")
            from assistant.indexing.corpus import find_files
            from assistant.pipeline.service import Assistant

            qa = Assistant(settings)
            if ingest and settings.corpus_dir.exists():
                say("status_ingesting", count=len(list(find_files([settings.corpus_dir]))))
                with self.ingest_lock:
                    report = qa.ingest([settings.corpus_dir], progress=True)
                print(report.summary(), file=sys.stderr, flush=True)
            warm = getattr(qa.answerer, "warm", None)
            if warm is not None:  # load a local LLM now, not on the first question
                try:
                    warm()
                except Exception as exc:  # answers fall back to quoting; say why once
                    log.warning("the %s answerer is not available: %s", qa.answerer.name, exc)
            self.qa = qa
            print(self.status(texts), file=sys.stderr, flush=True)
        except Exception as exc:
            log.exception("the assistant failed to start")
            self.failed = str(exc) or type(exc).__name__

    def view(self, bm25_weight: float, dense_weight: float, answerer: str) -> Assistant:
        """The Assistant with other fusion weights or answerer, never changing the shared one.

        A view is a shallow copy sharing model, store and analyzer, with its own search
        object and chain; views are cached per setting, so each is built once.
        """
        qa = self.qa
        assert qa is not None
        if bm25_weight + dense_weight <= 0:
            bm25_weight, dense_weight = qa.search.bm25_weight, qa.search.dense_weight
        key = (round(bm25_weight, 3), round(dense_weight, 3), answerer)
        if key == (qa.search.bm25_weight, qa.search.dense_weight, qa.answerer.name):
            return qa
        with self._lock:
            if key not in self._views:
                from assistant.pipeline.chain import build_chain
                from assistant.retrieval.hybrid import NewsRetriever

                view = copy.copy(qa)
                view.search = copy.copy(qa.search)
                view.search.bm25_weight, view.search.dense_weight = key[0], key[1]
                view.answerer = (getattr(qa, "answerers", None) or {}).get(answerer, qa.answerer)
                view.retriever = NewsRetriever(search=view.search)
                view.chain = build_chain(view)
                self._views[key] = view
            return self._views[key]


def build_app(qa: Assistant | Engine, settings: Settings, *, language: str = "ko") -> gr.Blocks:
    """The chat page over ``qa`` (an Assistant, or an Engine still loading one)."""
    engine = qa if isinstance(qa, Engine) else Engine(qa)
    texts = UiTexts.load(settings.prompts_dir, language)
    feedback_lock = threading.Lock()
    t = texts.get

    def status_md() -> str:
        return md_escape(engine.status(texts))  # an error message may hold any characters

    def past(turns: list[dict[str, Any]]) -> list[tuple[str, str]]:  # as the CLI chat keeps it
        return [(x["question"], x["answer"]) for x in turns if x["status"] in OK_STATUSES]

    def reply(chat: list, text: str, turns: list) -> tuple:  # a message, not an answer
        return "", [*chat, {"role": "assistant", "content": md_escape(text)}], turns, *SKIP2

    def respond(
        message: str, chat: list, turns: list, k: int, bm25: float, dense: float, answerer: str
    ):
        from assistant.text.messages import language_of

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
            view = engine.view(float(bm25), float(dense), answerer)
            if getattr(view.answerer, "generative", False):
                # The model's own tokens, as they arrive; the checked answer replaces them.
                for part in view.stream(question, past(turns), k=int(k)):
                    if isinstance(part, str):
                        draft += part
                        message = {"role": "assistant", "content": md_escape(draft)}
                        yield gr.skip(), [*chat, message], *[gr.skip()] * 3
                    else:
                        answer = part
            else:
                answer = view.ask(question, past(turns), k=int(k))
            assert answer is not None
        except Exception:
            log.exception("answering %r failed", question)
            yield reply(chat, t("error", lang), turns)
            return
        turn = turn_record(answer, len(turns) + 1, len(chat))
        turn.update(k=int(k), bm25_weight=float(bm25), dense_weight=float(dense))
        numbers = {c.number for c in answer.citations}
        for prefix in [answer.text] if draft else stream_prefixes(answer.text):
            text = answer_markdown(prefix, numbers, turn["turn"])
            yield gr.skip(), [*chat, {"role": "assistant", "content": text}], *[gr.skip()] * 3
            time.sleep(STREAM_DELAY)
        turns = [*turns, turn]
        yield gr.skip(), gr.skip(), turns, sources_html(turns, texts), retrieved_html(turn, texts)

    def clear() -> tuple:
        return "", [], [], sources_html([], texts), retrieved_html(None, texts)

    def rate(turns: list[dict[str, Any]], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = next((x for x in turns if x["message_index"] == index), None)
        if turn is None:  # a "still loading" or error message: nothing to rate
            return
        record = feedback_record(turn, data.liked)
        path = settings.data_dir / "feedback.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with feedback_lock, path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        gr.Info(
            t("feedback_saved") if record["rating"] in {"up", "down"} else t("feedback_removed")
        )

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()):  # noqa: B008
        if not engine.ready:
            return t("still_loading"), status_md()
        try:
            return _ingest_uploads(engine, settings, texts, files or [], progress), status_md()
        except Exception:
            log.exception("ingesting uploads failed")
            return t("upload_failed"), status_md()

    def refresh() -> tuple:
        """The status line and the upload box follow the engine as it loads."""
        active = not engine.ready and engine.failed is None
        return status_md(), gr.update(interactive=engine.ready), gr.Timer(active=active)

    def api_ask(question: str, history: str = "[]") -> str:
        """One answer's text, for scripts: history is a JSON list of [question, answer]."""
        from assistant.text.messages import language_of

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

    with gr.Blocks(title=t("title"), analytics_enabled=False, fill_width=True) as demo:
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
                    label=t("upload_label"),
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
        chat.like(rate, inputs=turns, **ui)
        files.upload(upload, inputs=files, outputs=[upload_status, status], **ui)
        refresh_io = {"outputs": [status, files, timer], "concurrency_limit": None}
        timer.tick(refresh, **refresh_io, **ui)
        demo.load(refresh, **refresh_io, **ui)
        gr.api(api_ask, api_name="ask")
        gr.api(api_status, api_name="status", concurrency_limit=None)
    return demo.queue(default_concurrency_limit=settings.ui_concurrency)


def _ingest_uploads(
    engine: Engine, settings: Settings, texts: UiTexts, files: list[str], progress: gr.Progress
) -> str:
    """Copy uploads into DATA_DIR/uploads (so they outlive Gradio's temp files) and ingest.

    Files go in at most ``UPLOAD_STEPS`` batches so the bar moves without rebuilding BM25
    once per file. A file uploaded again under the same name replaces the earlier one,
    which the ingest then treats as a changed article.
    """
    from assistant.indexing.ingest import IngestReport

    assert engine.qa is not None
    accepted = [Path(f) for f in files if Path(f).suffix.lower() in UPLOAD_TYPES]
    rejected = [Path(f).name for f in files if Path(f).suffix.lower() not in UPLOAD_TYPES]
    report, warnings = None, []
    if accepted:
        progress(0.0, desc=texts.get("upload_copying"))
        folder = settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        copies = [Path(shutil.copyfile(f, folder / f.name)) for f in accepted]
        size = -(-len(copies) // UPLOAD_STEPS)
        batches = [copies[i : i + size] for i in range(0, len(copies), size)]
        report = IngestReport()
        desc = texts.get("upload_ingesting", count=len(copies))
        with engine.ingest_lock:
            for batch in progress.tqdm(batches, desc=desc, unit="batch"):
                part = engine.qa.ingest(batch, progress=False, warn=warnings.append)
                for name in ("new", "changed", "unchanged", "deleted", "seconds"):
                    setattr(report, name, getattr(report, name) + getattr(part, name))
    return upload_summary(report, warnings, rejected, texts)


def start(demo: gr.Blocks, settings: Settings, *, block: bool = True) -> None:
    """Serve ``demo`` on the configured address, theme and optional login."""
    auth = None
    if settings.ui_username or settings.ui_password:
        if not (settings.ui_username and settings.ui_password):
            raise SystemExit("Set both ui_username and ui_password to require a login.")
        auth = (settings.ui_username, settings.ui_password.get_secret_value())
    demo.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=auth,
        prevent_thread_lock=not block,
        theme=gr.themes.Soft(primary_hue="indigo", font=THEME_FONTS, font_mono=["monospace"]),
        css=APP_CSS,
        **LAUNCH,
    )


def launch(settings: Settings, ingest: bool = True, *, language: str = "ko") -> None:
    """Serve the page now; load the model and ingest ``settings.corpus_dir`` meanwhile."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own startup requests
    engine = Engine()
    texts = UiTexts.load(settings.prompts_dir, language)
    demo = build_app(engine, settings, language=language)
    threading.Thread(
        target=engine.load, args=(settings, ingest, texts), name="assistant-load", daemon=True
    ).start()
    start(demo, settings)
