"""Finding article files on disk and decoding their bytes to text.

Korean files from Windows tools are often CP949 (a superset of EUC-KR) rather than UTF-8,
so decoding tries the encodings we expect before guessing, and refuses binary data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from assistant.errors import UnreadableFile

SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl"})


def find_files(paths: Iterable[Path | str]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every supported file under the given files or folders.

    Folders are walked in sorted order, skipping hidden files and folders; a file given
    by name is yielded whatever its suffix, with its own folder as root.

    :raises FileNotFoundError: for a path that does not exist.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES and not _hidden(f, path):
                    yield f, path
        elif path.is_file():
            yield path, path.parent
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts)


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
