"""Gradio's upload folder, one per running server, deleted when the server stops.

Gradio 6 keeps uploads in one folder per machine (``GRADIO_TEMP_DIR``, else
``$TMPDIR/gradio``, read from the environment only) and serves any file in it from every
instance. There is no per-app setting for it, and an event's files are accepted only
from inside that folder (``processing_utils._check_allowed``), so a folder in the data
dir cannot hold them. Each server therefore gets a private subfolder of it,
``assistant-<pid>-<random>`` (mode 0700): it becomes the app's ``uploaded_file_dir``
when the server starts (the app's lifespan, before the first request) and every
component's cache, and it is deleted when the server stops. Folders left by servers that
died (their process is gone) are deleted when the next one starts.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

PREFIX = "assistant-"


def process_alive(pid: int) -> bool:
    """Whether a process with this id still runs (its upload folder is not stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale(root: Path) -> list[Path]:
    """Delete this user's instance folders in ``root`` whose process has ended."""
    removed = []
    for folder in root.glob(f"{PREFIX}*-*"):
        pid = folder.name.removeprefix(PREFIX).split("-")[0]
        try:
            mine = folder.is_dir() and folder.lstat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class InstanceUploads:
    """The upload folder of one server: ``create`` it, ``attach`` it to the app, ``remove``.

    :param root: Gradio's upload folder (default: the one Gradio itself uses).
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or get_upload_folder())
        self.path = self.root / f"{PREFIX}{os.getpid()}-{secrets.token_hex(8)}"

    def create(self) -> Path:
        """Delete stale folders, then make this server's own (readable by this user only)."""
        self.root.mkdir(parents=True, exist_ok=True)
        remove_stale(self.root)
        self.path.mkdir(mode=0o700)
        return self.path

    def remove(self) -> None:
        """Delete this server's upload folder and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def attach(self, demo: gr.Blocks) -> None:
        """Components write their cached copies here instead of the shared folder."""
        for block in [demo, *demo.blocks.values()]:
            block.GRADIO_CACHE = str(self.path)

    def lifespan(self) -> Callable[[Any], AbstractAsyncContextManager[None]]:
        """For ``launch(app_kwargs={"lifespan": …})``: uploads land here; removed at stop."""

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[None]:
            app.uploaded_file_dir = str(self.path)
            try:
                yield
            finally:
                self.remove()

        return lifespan
