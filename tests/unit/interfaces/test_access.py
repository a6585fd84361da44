"""Who may reach the page: loopback stays open, other addresses need a login or --insecure."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.interfaces.web.access import (
    Refused,
    credentials_checker,
    exposure_warning,
    is_loopback,
    login_for,
)
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text.messages import Messages

UI = Messages.load(PROJECT_ROOT / "prompts", "ui.toml", "en")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.0.10", "example.org", ""])
def test_other_addresses(host: str) -> None:
    assert not is_loopback(host)


def test_loopback_without_login_is_served_as_before(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert login_for(settings, UI) is None and exposure_warning(settings, UI) is None


def test_network_address_without_login_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused) as info:
        login_for(Settings(data_dir=tmp_path, ui_host="0.0.0.0"), UI)
    message = str(info.value.code)
    assert "0.0.0.0" in message and "--insecure" in message and "ui_password" in message


def test_insecure_serves_it_with_a_loud_warning(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ui_host="0.0.0.0", ui_insecure=True)
    assert login_for(settings, UI) is None
    assert "WITHOUT A LOGIN" in (exposure_warning(settings, UI) or "")


def test_network_address_with_login_needs_no_flag(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ui_host="0.0.0.0", ui_username="u", ui_password="p")
    check = login_for(settings, UI)
    assert check is not None and exposure_warning(settings, UI) is None
    assert check("u", "p") and not check("u", "q") and not check("v", "p")


def test_half_a_login_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused):
        login_for(Settings(data_dir=tmp_path, ui_username="u"), UI)


def test_credentials_compare_whole_strings() -> None:
    check = credentials_checker("reporter", "s3cret")
    assert check("reporter", "s3cret")
    for user, password in [("reporter", "s3cre"), ("reporter", "s3cret "), ("", ""), ("r", "s")]:
        assert not check(user, password)


def test_cli_serve_refuses_before_loading_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.interfaces import cli

    monkeypatch.setattr(cli, "configure_threads", lambda threads: None)  # no torch here
    monkeypatch.chdir(tmp_path)  # no assistant.toml
    for name in ("ASSISTANT_UI_USERNAME", "ASSISTANT_UI_PASSWORD", "ASSISTANT_UI_INSECURE"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "serve", "--host", "0.0.0.0", "--no-ingest"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1
    assert "--insecure" in " ".join(result.output.split())
    assert not data.exists()  # no model, no index, no server


def test_cli_insecure_flag_reaches_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.interfaces import cli
    from assistant.interfaces.api import server

    monkeypatch.chdir(tmp_path)
    seen: list[Settings] = []
    monkeypatch.setattr(server, "launch", lambda settings, ingest: seen.append(settings))
    monkeypatch.setattr(cli, "configure_threads", lambda threads: None)  # no torch here
    args = ["--data-dir", str(tmp_path), "serve", "--host", "0.0.0.0", "--insecure"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert seen[0].ui_insecure and seen[0].ui_host == "0.0.0.0"
