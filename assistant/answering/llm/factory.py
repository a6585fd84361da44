"""Which answerers a configuration offers, built once and closed together.

The extractive answerer is always there, as the default and as every LLM answerer's
fallback; LLM answerers are built for each server the settings point at and connect on
first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from assistant.answering.base import Answerer
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm.answerer import GenerativeAnswerer
from assistant.answering.llm.client import configured_answerers
from assistant.answering.llm.server import LocalServers
from assistant.answering.verification import Verifier
from assistant.settings import Settings
from assistant.text.messages import Messages


class Answerers(Mapping[str, Answerer]):
    """Every answerer of one ``Assistant`` by name, and the local servers they started."""

    def __init__(self, answerers: dict[str, Answerer], servers: LocalServers) -> None:
        self._answerers = answerers
        self._servers = servers

    def __getitem__(self, name: str) -> Answerer:
        return self._answerers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._answerers)

    def __len__(self) -> int:
        return len(self._answerers)

    def close(self) -> None:
        """Close every answerer, then stop the llama.cpp servers they started."""
        for answerer in self._answerers.values():
            answerer.close()
        self._servers.close()


def build_answerers(
    settings: Settings,
    extractive: ExtractiveAnswerer,
    verifier: Verifier,
    messages: Messages,
    reader: Answerer | None = None,
) -> Answerers:
    """Every answerer the configuration offers, by name; LLM clients connect on first use.

    :param reader: the trained reader's answerer, offered as "reader" (None: not installed).
    """
    servers = LocalServers()
    out: dict[str, Answerer] = {"extractive": extractive}
    if reader is not None:
        out = {"reader": reader, **out}
    for name in configured_answerers(settings):
        if name not in out and name != "reader":
            out[name] = GenerativeAnswerer(
                name,
                settings,
                extractive=extractive,
                verifier=verifier,
                messages=messages,
                servers=servers,
            )
    return Answerers(out, servers)
