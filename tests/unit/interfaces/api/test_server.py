"""Who may reach what when ``assistant serve`` binds an address (``api.server.decide``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.interfaces.api.server import decide
from assistant.interfaces.web.access import Refused
from assistant.settings import Settings


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)


def test_loopback_is_open(tmp_path: Path) -> None:
    access = decide(settings(tmp_path))
    assert access.page is True and access.login is None and access.warnings == []


def test_other_address_needs_a_login_or_keys(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="api_keys"):
        decide(settings(tmp_path, ui_host="0.0.0.0"))
    keys_only = decide(settings(tmp_path, ui_host="0.0.0.0", api_keys=["k"]))
    assert keys_only.page is False and "0.0.0.0" in keys_only.warnings[0]
    login = decide(settings(tmp_path, ui_host="10.0.0.5", ui_username="u", ui_password="p"))
    assert login.page is True and login.login is not None and login.login("u", "p")
    insecure = decide(settings(tmp_path, ui_host="0.0.0.0", ui_insecure=True))
    assert insecure.page is True and insecure.warnings  # warned loudly


def test_incomplete_login_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused):
        decide(settings(tmp_path, ui_host="0.0.0.0", ui_username="u", api_keys=["k"]))
