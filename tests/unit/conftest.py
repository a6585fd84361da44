"""Fixtures for the unit tests: the real Korean analyzer, loaded once per session (~2 s)."""

from __future__ import annotations

import pytest

from assistant.text.korean import KoreanAnalyzer


@pytest.fixture(scope="session")
def analyzer() -> KoreanAnalyzer:
    """A real kiwipiepy analyzer; read-only, so tests may share it."""
    return KoreanAnalyzer()
