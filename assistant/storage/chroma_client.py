"""Opening and closing a Chroma client: the server, or the embedded store in DATA_DIR/chroma.

chromadb keeps one ``System`` per folder per process and hands it to every client of that
folder; closing the last client stops it, and only then does a new client read the
folder afresh (which is how a reader catches up with another process's writes). A
``System`` whose start failed (a damaged ``chroma.sqlite3``) stays in that cache and
poisons every later client of the folder, so it is evicted here. Embedded Chroma cannot
open a folder it may not write, even to read: it writes to its SQLite file on open. A
read-only store is therefore copied to a temporary folder, opened there, and the copy is
removed on close (or when the process ends). So is a store on a full disk (its open
fails with ``database or disk is full``): questions need no writes, so they are answered
from the copy, and writes are refused with the full-disk message (``Opened.full``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from assistant.errors import StoreFull, StoreUnavailable
from assistant.settings import Settings
from assistant.storage.faults import Faults

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Opened:
    """A Chroma client and, for a read-only store or one on a full disk (``full``), the
    temporary copy it reads."""

    client: Any
    copy: Path | None = None
    full: bool = False


def unavailable_message(settings: Settings, exc: Exception) -> str:
    """What to tell a user whose Chroma cannot be reached, and how to fix it."""
    if settings.chroma_host:
        where = f"http://{settings.chroma_host}:{settings.chroma_port}"
        return (
            f"Cannot reach the Chroma server at {where} ({type(exc).__name__}: {exc}). "
            f"Start it with `chroma run --path DIR --host {settings.chroma_host} --port "
            f"{settings.chroma_port}`, or unset ASSISTANT_CHROMA_HOST to use the embedded store."
        )
    return f"Cannot open the Chroma store in {settings.data_dir / 'chroma'}: {exc}"


def server_headers(settings: Settings) -> dict[str, str]:
    """What every request to the Chroma server carries: the proxy's bearer token, if set."""
    if settings.chroma_token is None:
        return {}
    return {"Authorization": f"Bearer {settings.chroma_token.get_secret_value()}"}


def open_client(settings: Settings, explain: Callable[[Exception], str]) -> Opened:
    """The server's client (after a heartbeat), or the embedded store's.

    :raises StoreUnavailable: the server does not answer, or the folder cannot be opened
        (``IndexDamaged`` when its SQLite file is damaged, ``StoreFull`` on a full disk).
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = None
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                headers=server_headers(settings),
                settings=chroma_settings,
            )
            client.heartbeat()
            return Opened(client)
        except Exception as exc:
            if client is not None:
                close_client(client)
            raise StoreUnavailable(explain(exc)) from exc
    path = settings.data_dir / "chroma"
    faults = Faults.of(settings)
    if not path.is_dir():
        with faults.translated("chroma"):
            path.mkdir(parents=True, exist_ok=True)
    if not _writable(path):
        return _open_copy(
            path, faults, explain, "is read-only, and Chroma cannot open a folder it may not write"
        )
    try:
        return Opened(_persistent(path, faults, explain))
    except StoreFull as full:
        try:
            opened = _open_copy(
                path,
                faults,
                explain,
                "is on a full disk, and Chroma cannot open it without writing",
            )
        except Exception:  # the temporary folder is full too: say the disk is
            raise full from None
        return Opened(opened.client, opened.copy, full=True)


def _open_copy(path: Path, faults: Faults, explain: Callable[[Exception], str], why: str) -> Opened:
    """The embedded store read from a temporary copy (see the module's note)."""
    copy = _read_only_copy(path, why)
    try:
        client = _persistent(copy / "chroma", faults, explain)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)
        raise
    # removed also when the process ends without closing (the CLI's ask)
    weakref.finalize(client, shutil.rmtree, copy, True)
    return Opened(client, copy)


def close_client(client: Any, copy: Path | None = None) -> None:
    """Close the client where the chromadb version offers it (1.x does), which stops the
    embedded system once no other client in the process uses the same folder; then
    remove the read-only copy, if there is one."""
    close = getattr(client, "close", None)  # chromadb 1.5 has it; not every client type does
    try:
        if callable(close):
            close()
    finally:
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)


def shared_elsewhere(path: Path) -> bool:
    """Whether another client in this process still holds the embedded system of ``path``
    (then a new client gets the same, possibly stale, system)."""
    return str(path) in SharedSystemClient._identifier_to_system


def _persistent(path: Path, faults: Faults, explain: Callable[[Exception], str]) -> Any:
    try:
        return chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:
        # A system whose start failed stays cached for the folder; drop it so that a
        # later client (after a rebuild, or once space is freed) starts a fresh one.
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        mapped = faults.explain(exc, source="chroma")
        raise (mapped or StoreUnavailable(explain(exc))) from exc


def _writable(folder: Path) -> bool:
    files = [folder, *[p for p in (folder / "chroma.sqlite3",) if p.exists()]]
    return all(os.access(p, os.W_OK) for p in files)


def _read_only_copy(folder: Path, why: str) -> Path:
    """Copy a folder Chroma may not write (``why``) into a temporary one it may."""
    tmp = Path(tempfile.mkdtemp(prefix="assistant-chroma-"))
    try:
        shutil.copytree(folder, tmp / "chroma")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(f.stat().st_size for f in (tmp / "chroma").rglob("*") if f.is_file())
    log.warning(
        "%s %s even to read it; reading a copy in %s (%.1f MB) instead, removed on close",
        folder,
        why,
        tmp,
        size / 2**20,
    )
    return tmp
