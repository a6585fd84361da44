"""Shared fixtures: one real index over the bundled corpus per test session.

Everything is real: the converted e5 model, kiwipiepy, an embedded Chroma. The prepared
model folder is shared across sessions (``ASSISTANT_TEST_MODEL_DIR`` or ``.data/models``)
because converting it again for every run would only re-test ``prepare_model``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = PROJECT_ROOT / "corpus"
SEED = PROJECT_ROOT / "evals" / "seed.jsonl"
MODEL_DIR = Path(os.environ.get("ASSISTANT_TEST_MODEL_DIR", PROJECT_ROOT / ".data" / "models"))


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, model_dir=MODEL_DIR, **overrides)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def qa(settings: Settings):
    """An Assistant with the bundled corpus ingested (embedded Chroma)."""
    from assistant.pipeline.service import Assistant

    assistant = Assistant(settings)
    report = assistant.ingest([CORPUS], progress=False)
    assert report.new == 8, report.summary()
    return assistant
