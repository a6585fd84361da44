"""Settings precedence: keywords > ASSISTANT_* > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.k == 5 and s.answerer == "extractive" and s.ui_host == "127.0.0.1"
    assert s.models_dir == Path(".data/models")


def test_toml_then_environment_then_keywords(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "my.toml"
    config.write_text('k = 7\nbm25_weight = 0.6\ncollection = "from-toml"\n', "utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    assert Settings().k == 7
    monkeypatch.setenv("ASSISTANT_K", "9")
    s = Settings()
    assert (s.k, s.bm25_weight, s.collection) == (9, 0.6, "from-toml")
    assert Settings(k=3).k == 3


def test_assistant_toml_in_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSISTANT_CONFIG", raising=False)
    Path("assistant.toml").write_text('chroma_host = "127.0.0.1"\nchroma_port = 8123\n', "utf-8")
    s = Settings()
    assert (s.chroma_host, s.chroma_port) == ("127.0.0.1", 8123)


def test_bad_values_are_rejected_with_the_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_ANSWERER", "magic")
    with pytest.raises(ValidationError, match="answerer"):
        Settings()


def test_load_binds_a_config_file_without_touching_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    monkeypatch.delenv("ASSISTANT_CONFIG", raising=False)
    config = tmp_path / "given.toml"
    config.write_text("k = 11\n", "utf-8")
    before = dict(os.environ)
    s = Settings.load(config, fetch_k=50)
    assert (s.k, s.fetch_k) == (11, 50) and isinstance(s, Settings)
    assert dict(os.environ) == before
    monkeypatch.setenv("ASSISTANT_K", "12")
    assert Settings.load(config).k == 12  # the environment still wins over the file


def test_openai_key_comes_from_its_usual_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    s = Settings()
    assert s.openai_api_key is not None
    assert s.openai_api_key.get_secret_value() == "sk-from-env"
    assert "sk-from-env" not in repr(s)


def test_proxies_and_the_chroma_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSISTANT_FORWARDED_ALLOW_IPS", "10.0.0.2, 10.0.0.3")
    monkeypatch.setenv("ASSISTANT_CHROMA_TOKEN", "t0ken")
    settings = Settings(data_dir=tmp_path)
    assert settings.forwarded_allow_ips == ["10.0.0.2", "10.0.0.3"]
    assert settings.chroma_token is not None
    assert settings.chroma_token.get_secret_value() == "t0ken" and "t0ken" not in repr(settings)
    assert settings.ui_queue == 64


def test_nothing_forwarded_is_believed_by_default(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).forwarded_allow_ips == []
