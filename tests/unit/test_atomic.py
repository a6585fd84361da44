"""``atomic.replace_dir``: a complete folder at the target, or one the next call restores,
whichever step a crash stops it at (issue 20: a crash between the two renames left no
folder at the target, and the next call deleted the ``.old`` copy, the only whole one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import atomic


def _folder(path: Path, version: str) -> Path:
    path.mkdir()
    (path / "a.txt").write_text(version, "utf-8")
    (path / "b.txt").write_text(version, "utf-8")
    return path


def _version(path: Path) -> str | None:
    """The version of the complete folder at ``path``, or None if there is none."""
    if not path.is_dir():
        return None
    texts = {(path / n).read_text("utf-8") for n in ("a.txt", "b.txt") if (path / n).exists()}
    return texts.pop() if len(texts) == 1 and len(os.listdir(path)) == 2 else None


def _crash_at(calls: set[int], real: Callable[..., None]) -> Callable[..., None]:
    """``os.rename`` that raises at the given calls (1-based), as a killed process would stop."""
    count = iter(range(1, 1000))

    def rename(src: object, dst: object) -> None:
        if next(count) in calls:
            raise OSError("simulated crash")
        real(src, dst)

    return rename


def _swap(tmp: Path, target: Path) -> None:
    """What the callers do: replace, and remove their temporary on any error."""
    try:
        atomic.replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_replace_dir_swaps_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "bm25"
    _swap(_folder(tmp_path / "new1", "1"), target)  # nothing there yet
    _swap(_folder(tmp_path / "new2", "2"), target)
    assert _version(target) == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25"]


@pytest.mark.parametrize("second", [0, 1, 2, 3])
@pytest.mark.parametrize("first", [1, 2])
def test_a_crash_at_any_rename_never_loses_the_only_complete_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int, second: int
) -> None:
    """Two renames (a file system without RENAME_EXCHANGE): the ``first``-th ``os.rename``
    raises, then the ``second``-th of the calls after it (0: none); after each crash a
    complete folder is at the target or at ``.old``, and a call that runs through puts
    the newest folder in place."""
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "bm25"
    _folder(target, "0")
    crashes = 0
    for version in "12345":
        calls = {first} if crashes == 0 else {second} if crashes == 1 and second else set()
        monkeypatch.setattr(os, "rename", _crash_at(calls, os.rename))
        try:
            _swap(_folder(tmp_path / f"new{version}", version), target)
        except OSError:
            crashes += 1
            whole = _version(target) or _version(atomic.old_copy(target))
            assert whole is not None, f"no complete folder left after crash {crashes}"
        finally:
            monkeypatch.undo()
            monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    assert _version(target) == "5"
    assert not atomic.old_copy(target).exists()


def test_restore_brings_back_the_old_folder_after_a_crash_between_the_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "model"
    _folder(target, "0")
    monkeypatch.setattr(os, "rename", _crash_at({2}, os.rename))
    with pytest.raises(OSError):
        _swap(_folder(tmp_path / "new", "1"), target)
    monkeypatch.undo()
    assert not target.exists() and _version(atomic.old_copy(target)) == "0"
    assert atomic.restore(target) is True
    assert _version(target) == "0"


def test_a_failed_exchange_leaves_the_target_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(a: Path, b: Path) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_exchange", fail)
    target = _folder(tmp_path / "bm25", "0")
    with pytest.raises(OSError):
        _swap(_folder(tmp_path / "new", "1"), target)
    assert _version(target) == "0"


def test_the_real_exchange_works_on_this_file_system(tmp_path: Path) -> None:
    a, b = _folder(tmp_path / "a", "a"), _folder(tmp_path / "b", "b")
    if not atomic._exchange(a, b):
        pytest.skip("no RENAME_EXCHANGE here")
    assert (_version(a), _version(b)) == ("b", "a")
