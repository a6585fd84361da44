"""Which LLM answerers the settings offer, their endpoints and keys (no server, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.answering.llm.client import chat_model, configured_answerers, endpoint
from assistant.answering.llm.server import LocalServers
from assistant.errors import LLMError
from assistant.models.reader_weights import reader_available
from assistant.settings import PROJECT_ROOT, Settings

TROOPS = "북한이 러시아에 보낸 병력 규모는?"
AMBASSADOR = "러시아의 평양 주재 대사는 누구였나?"
SMALL_MODEL = PROJECT_ROOT / ".data" / "llm" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def test_configured_answerers_follow_the_settings(tmp_path: Path) -> None:
    base = ["extractive", "reader"]  # the reader's weights are committed
    assert reader_available()
    assert configured_answerers(Settings(data_dir=tmp_path)) == base
    s = Settings(data_dir=tmp_path, llm_model_path=tmp_path / "m.gguf")
    assert configured_answerers(s) == [*base, "llamacpp"]
    s = Settings(data_dir=tmp_path, answerer="ollama", llm_base_url="http://127.0.0.1:1")
    assert configured_answerers(s) == [*base, "ollama"]
    s = Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:1/v1")
    assert configured_answerers(s) == [*base, "openai"]


def test_endpoints_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    servers = LocalServers()
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        endpoint(Settings(data_dir=tmp_path), "openai", servers)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert endpoint(Settings(data_dir=tmp_path), "openai", servers) == (None, "sk-env")
    s = Settings(data_dir=tmp_path, llm_api_key=SecretStr("sk-set"), llm_base_url="http://h/v1")
    assert endpoint(s, "openai", servers) == ("http://h/v1", "sk-set")
    ollama = endpoint(Settings(data_dir=tmp_path), "ollama", servers)
    assert ollama[0] == "http://127.0.0.1:11434/v1"
    s = Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:9999")
    assert endpoint(s, "ollama", servers)[0] == "http://127.0.0.1:9999/v1"
    with pytest.raises(LLMError, match=r"install-llm\.sh"):
        endpoint(Settings(data_dir=tmp_path), "llamacpp", servers)
    with pytest.raises(LLMError, match="no model file"):
        missing = Settings(data_dir=tmp_path, llm_model_path=tmp_path / "none.gguf")
        endpoint(missing, "llamacpp", servers)


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_ANSWERER", "openai")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "7.5")
    s = Settings(data_dir=tmp_path)
    assert (s.answerer, s.llm_timeout) == ("openai", 7.5)
    assert s.llm_base_url == "http://127.0.0.1:8080/v1"


def test_the_client_builds_with_the_installed_sdk(tmp_path: Path) -> None:
    """The real ChatOpenAI of the locked SDK accepts what we pass (no request is made)."""
    s = Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_timeout=7)
    model = chat_model(s, "openai", LocalServers(), max_tokens=16)
    assert model.request_timeout == 7.0 and model.max_retries == 0
    assert model.root_client.timeout is not None


def test_a_client_that_cannot_be_built_is_an_llm_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any exception of the SDK's constructor (here a stand-in that raises) is an LLMError."""
    import langchain_openai

    def refuse(**kwargs: object) -> None:
        raise TypeError("Invalid timeout")

    monkeypatch.setattr(langchain_openai, "ChatOpenAI", refuse)
    s = Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(LLMError, match=r"could not be built \(TypeError: Invalid timeout\)"):
        chat_model(s, "openai", LocalServers(), max_tokens=16)
