"""The wheel as a new user gets it: built, installed into a fresh venv, run from an empty
directory with no checkout in sight.

Installing torch, Chroma and the rest again for every test run would take many minutes
and gigabytes, so the fresh venv borrows the project venv's installed packages: a
``.pth`` file in its site-packages names the project venv's site-packages (appended to
``sys.path`` after the venv's own, and its ``.pth`` files, such as the editable install
of this checkout, are not processed). The wheel itself is installed with ``--no-deps``,
so what is tested is the package, its data files and its entry points, not pip's
resolver. ``ASSISTANT_MODEL_DIR`` points at the prepared model so nothing is converted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.fixtures.paths import CORPUS, MODEL_DIR

pytestmark = [pytest.mark.wheel, pytest.mark.slow]
SOURCES = ("pyproject.toml", "README.md", "assistant", "prompts")


def setuptools_ok() -> bool:
    """Whether this venv's setuptools meets the build-system requirement (>= 68)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0]) >= 68
    except (PackageNotFoundError, ValueError):
        return False


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_installed_wheel_ingests_and_answers_from_an_empty_directory(tmp_path: Path) -> None:
    # Build from a copy, so the checkout gets no build/ or egg-info; the copy resolves
    # the assistant/prompts link into real files, as an sdist would.
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        item = PROJECT_ROOT / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    # This venv's setuptools builds it when new enough (nothing fetched); else pip gets one.
    isolation = ["--no-build-isolation"] if setuptools_ok() else []
    run(*pip, "wheel", "--no-deps", *isolation, "-q", "-w", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("korean_news_assistant-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
    )
    (Path(purelib.strip()) / "zz_project_packages.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    run(*pip, "--python", python, "install", "--no-deps", "-q", wheel, cwd=tmp_path)

    empty = tmp_path / "empty"
    empty.mkdir()
    articles = tmp_path / "articles"
    shutil.copytree(CORPUS, articles)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "PYTHON"))}
    env |= {
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_MODEL_DIR": str(MODEL_DIR),
        "HF_HUB_OFFLINE": "1",
    }
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
