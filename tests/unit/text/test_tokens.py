"""cl100k(): the same encoding as tiktoken's cl100k_base, with no network, env or file writes."""

from __future__ import annotations

import os

import pytest
import tiktoken
import tiktoken.load
from tiktoken_ext import openai_public

from assistant.text.tokens import CL100K_SHA256, cl100k


@pytest.fixture(scope="module")
def encoding() -> tiktoken.Encoding:
    return cl100k()


def test_known_token_ids(encoding: tiktoken.Encoding) -> None:
    assert encoding.name == "cl100k_base"
    assert encoding.n_vocab == 100277
    assert encoding.encode("hello world") == [15339, 1917]
    assert encoding.encode("<|endoftext|>", allowed_special="all") == [100257]


def test_korean_round_trips(encoding: tiktoken.Encoding) -> None:
    text = "북한 김정은 국무위원장이 새해 메시지를 보냈다."
    ids = encoding.encode(text)
    assert len(ids) > 10  # Hangul takes about one token per syllable or more
    assert encoding.decode(ids) == text


def test_matches_tiktokens_own_definition(
    encoding: tiktoken.Encoding, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Build tiktoken's cl100k_base with our ranks in place of its download, and compare."""
    asked: dict[str, object] = {}

    def fake_load(url: str, expected_hash: str) -> dict[bytes, int]:
        asked["hash"] = expected_hash
        return encoding._mergeable_ranks

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    theirs = openai_public.cl100k_base()
    assert asked["hash"] == CL100K_SHA256  # the packaged file is the one tiktoken downloads
    assert encoding.name == theirs["name"]
    assert encoding._pat_str == theirs["pat_str"]
    assert encoding._special_tokens == theirs["special_tokens"]


def test_no_environment_writes_and_no_cache_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cache(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("tiktoken's file cache was used")

    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_cache)
    before = dict(os.environ)
    first, second = cl100k(), cl100k()
    assert dict(os.environ) == before
    assert first is not second  # no hidden module state: the caller holds its encoding
    assert first.encode("금리") == second.encode("금리")
