"""API keys: open on loopback without keys, Bearer keys when set, admin keys for writes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.requests import Request

from assistant.interfaces.api.auth import Policy
from assistant.interfaces.api.errors import ApiError
from assistant.settings import Settings
from assistant.text.messages import Messages

TEXTS = Messages.load(Settings().prompts_dir, "api.toml", "en")


def request(authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request({"type": "http", "method": "GET", "path": "/api/ask", "headers": headers})


def check(tmp_path: Path, **values: object) -> Policy:
    return Policy(Settings(data_dir=tmp_path, **values), TEXTS)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def refusal(keys: Policy, req: Request, *, admin: bool = False) -> tuple[int, str | None]:
    with pytest.raises(ApiError) as info:
        keys(req, admin=admin)
    return info.value.status, info.value.code


def test_loopback_without_keys_is_open(tmp_path: Path) -> None:
    keys = check(tmp_path)
    keys(request())
    keys(request(), admin=True)
    assert keys.required is False


def test_other_address_with_nothing_set_is_closed(tmp_path: Path) -> None:
    keys = check(tmp_path, ui_host="0.0.0.0")
    assert refusal(keys, request("Bearer anything")) == (401, "no_api_keys")


def test_a_page_login_alone_closes_the_api_too(tmp_path: Path) -> None:
    """Only a login set: the API takes it as HTTP Basic, wherever the server listens."""
    for host in ("127.0.0.1", "0.0.0.0"):
        keys = check(tmp_path, ui_host=host, ui_username="u", ui_password="p")
        assert refusal(keys, request(), admin=True) == (401, "missing_api_key")
        assert refusal(keys, request(basic("u", "wrong"))) == (401, "invalid_api_key")
        assert refusal(keys, request("Bearer p")) == (401, "invalid_api_key")
        keys(request(basic("u", "p")), admin=True)


def test_a_key_may_come_as_the_basic_password(tmp_path: Path) -> None:
    """What a browser's own prompt sends: any user name, the key as the password."""
    keys = check(tmp_path, api_keys=["reader"], api_admin_keys=["admin"])
    keys(request(basic("anyone", "reader")))
    assert refusal(keys, request(basic("x", "reader")), admin=True) == (403, "admin_key_required")
    keys(request(basic("", "admin")), admin=True)
    assert refusal(keys, request(basic("x", "nope"))) == (401, "invalid_api_key")


def test_keys_are_required_wherever_they_are_set(tmp_path: Path) -> None:
    keys = check(tmp_path, api_keys=["reader"], api_admin_keys=["admin"])
    assert refusal(keys, request()) == (401, "missing_api_key")
    assert refusal(keys, request("Basic cmVhZGVy")) == (401, "invalid_api_key")  # no colon
    assert refusal(keys, request("Bearer readerX")) == (401, "invalid_api_key")
    keys(request("Bearer reader"))
    keys(request("bearer  admin "))  # the scheme is case-insensitive
    assert refusal(keys, request("Bearer reader"), admin=True) == (403, "admin_key_required")
    keys(request("Bearer admin"), admin=True)


def test_without_admin_keys_any_key_may_write(tmp_path: Path) -> None:
    keys = check(tmp_path, api_keys=["a", "b"])
    keys(request("Bearer b"), admin=True)


def test_keys_from_the_environment_are_comma_separated(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_API_KEYS", "one, two,,")
    values = [k.get_secret_value() for k in Settings(data_dir=tmp_path).api_keys]
    assert values == ["one", "two"]
