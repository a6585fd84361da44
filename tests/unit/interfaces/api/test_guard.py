"""What each route needs (``guard.needed``) and who may write through the page."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from assistant.interfaces.api.auth import Level, Policy
from assistant.interfaces.api.guard import is_api, needed
from assistant.settings import Settings
from assistant.text.messages import Messages

TEXTS = Messages.load(Settings().prompts_dir, "api.toml", "en")


@pytest.mark.parametrize(
    ("method", "path", "level"),
    [
        ("GET", "/healthz", Level.NONE),
        ("GET", "/docs", Level.NONE),
        ("GET", "/openapi.json", Level.NONE),
        ("POST", "/api/ask", Level.READ),
        ("GET", "/api/documents", Level.READ),
        ("POST", "/api/documents", Level.WRITE),
        ("POST", "/api/documents/", Level.WRITE),
        ("DELETE", "/api/documents/uploads/festival", Level.WRITE),
        ("POST", "/v1/chat/completions", Level.READ),
        ("GET", "/metrics", Level.READ),
        ("GET", "/", Level.READ),
        ("GET", "/config", Level.READ),
        ("POST", "/gradio_api/queue/join", Level.READ),
        ("POST", "/gradio_api/call/ask", Level.READ),
        ("POST", "/gradio_api/upload", Level.WRITE),
        ("GET", "/gradio_api/openapi.json", Level.READ),
    ],
)
def test_what_each_route_needs(method: str, path: str, level: Level) -> None:
    assert needed(method, path) is level


def test_api_routes_are_told_from_the_page_s() -> None:
    assert is_api("/api/ask") and is_api("/v1/models") and is_api("/metrics")
    assert not is_api("/gradio_api/upload") and not is_api("/") and not is_api("/apiary")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def test_who_may_write_through_the_page(tmp_path: Path) -> None:
    keys = Policy(Settings(data_dir=tmp_path, api_keys=["r"], api_admin_keys=["a"]), TEXTS)
    assert not keys.may_write({}, None)
    assert not keys.may_write({"authorization": "Bearer r"}, None)
    assert keys.may_write({"authorization": "Bearer a"}, None)
    assert keys.may_write(basic("x", "a"), None)
    assert keys.may_write({}, "reporter")  # Gradio's login form
    assert Policy(Settings(data_dir=tmp_path), TEXTS).may_write({}, None)  # nothing set
