"""An ingester on a fresh index per test (see ``ingesting``); the cl100k encoding is
loaded once per session (about a second each time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken

from assistant.indexing.ingest import Ingester
from assistant.text.korean import KoreanAnalyzer
from assistant.text.tokens import cl100k
from tests.unit.indexing.ingesting import make_ingester


@pytest.fixture(scope="session")
def encoding() -> tiktoken.Encoding:
    return cl100k()


@pytest.fixture()
def ingester(
    tmp_path: Path, analyzer: KoreanAnalyzer, encoding: tiktoken.Encoding
) -> Iterator[Ingester]:
    ing = make_ingester(tmp_path / "data", analyzer, encoding)
    yield ing
    ing.store.close()
