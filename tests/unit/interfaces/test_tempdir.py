"""Each server's own upload folder: created private, removed, stale ones cleaned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assistant.interfaces.web.tempdir import PREFIX, InstanceUploads, remove_stale


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_each_instance_gets_its_own_private_folder(tmp_path: Path) -> None:
    a, b = InstanceUploads(tmp_path), InstanceUploads(tmp_path)
    assert a.create() != b.create()
    assert a.path.parent == tmp_path and a.path.name.startswith(f"{PREFIX}{os.getpid()}-")
    assert a.path.stat().st_mode & 0o077 == 0
    (a.path / "h").mkdir()
    (a.path / "h" / "x.txt").write_text("x")
    a.remove()
    assert not a.path.exists() and b.path.exists()


def test_folders_of_ended_servers_are_removed_at_start(tmp_path: Path) -> None:
    stale = tmp_path / f"{PREFIX}{dead_pid()}-0123"
    (stale / "hash").mkdir(parents=True)
    (stale / "hash" / "old.txt").write_text("old")
    live = tmp_path / f"{PREFIX}{os.getpid()}-4567"  # another server in this process
    other = tmp_path / "someone-elses"
    live.mkdir()
    other.mkdir()
    assert remove_stale(tmp_path) == [stale]
    new = InstanceUploads(tmp_path)
    new.create()
    assert not stale.exists() and live.exists() and other.exists() and new.path.exists()
