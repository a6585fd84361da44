"""Placeholder browser app (replaced by the full UI)."""

from __future__ import annotations

from assistant.settings import Settings


def launch(settings: Settings, ingest: bool = True) -> None:
    import gradio as gr

    from assistant.service import Assistant

    qa = Assistant(settings)
    if ingest:
        qa.ingest([settings.corpus_dir])

    def respond(message: str, history: list) -> str:
        return qa.ask(message).text

    gr.ChatInterface(respond).launch(server_name=settings.ui_host, server_port=settings.ui_port)
