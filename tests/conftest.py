"""Test layout: ``tests/unit`` needs no model, no Chroma and no network and runs in seconds;
``tests/integration`` runs the real stack (marked ``integration``, plus ``server``,
``browser``, ``llm`` or ``slow`` where they need more). Fixtures live in ``tests/fixtures``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest_plugins = ["tests.fixtures.index", "tests.fixtures.text", "tests.fixtures.browser"]

INTEGRATION = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
