"""Finding article files on disk (never through a link out of the folder) and decoding
their bytes to text.

Korean files from Windows tools are often CP949 (a superset of EUC-KR) rather than UTF-8,
so decoding tries the encodings we expect before guessing, and refuses binary data.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from assistant.errors import UnreadableFile
from assistant.storage.keys import path_text

log = logging.getLogger(__name__)
SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl"})


def find_files(
    paths: Iterable[Path | str], warn: Callable[[str], None] | None = None
) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every supported file under the given files or folders.

    Folders are walked in sorted order, skipping hidden files and folders. Links are
    never a way out of the folder: a linked file whose target lies outside it is skipped
    with a warning, and linked folders are not entered (one that points outside is
    warned about). A file given by name is yielded whatever its suffix or link target,
    with its own folder as root: the user chose it.

    :param warn: receives the skipped links (default: a log warning).
    :raises FileNotFoundError: for a path that does not exist.
    """
    warn = warn or log.warning
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from ((f, path) for f in _walk(path, warn))
        elif path.is_file():
            yield path, path.parent
        else:
            raise FileNotFoundError(f"No such file or folder: {path_text(path)}")


def _walk(root: Path, warn: Callable[[str], None]) -> list[Path]:
    real_root = root.resolve()
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in dirs:
            if (here / name).is_symlink() and not name.startswith("."):
                _outside(here / name, root, real_root, warn)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            f = here / name
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                continue
            if f.is_symlink() and _outside(f, root, real_root, warn):
                continue
            if f.is_file():
                found.append(f)
    return sorted(found)


def _outside(link: Path, root: Path, real_root: Path, warn: Callable[[str], None]) -> bool:
    """A link whose target is not inside the folder being ingested (warned about)."""
    target = link.resolve()
    if target.is_relative_to(real_root):
        return False
    where = path_text(link.relative_to(root))
    warn(f"skipped {where}: a link to {path_text(target)}, outside {path_text(root)}")
    return True


def decode(data: bytes, name: str = "file") -> str:
    """Decode UTF-8 (with or without BOM) or CP949/EUC-KR, else the best guess; NFC.

    Korean files from Windows tools are often CP949; guessing first would sometimes pick
    a wrong single-byte code page, so the two encodings we expect are tried strictly first.

    :param name: how to name the file in an error message.
    :raises UnreadableFile: for binary data or text in no recognizable encoding.
    """
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(f"{name}: binary data (NUL bytes), not a text file")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return unicodedata.normalize("NFC", data.decode(encoding))
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None or best.percent_chaos > 0.2:
        raise UnreadableFile(f"{name}: not text in UTF-8, CP949/EUC-KR or any known encoding")
    return unicodedata.normalize("NFC", str(best))
