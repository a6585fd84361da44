"""Swapping a finished folder into place, so a reader never sees half of one.

A folder is written under a temporary sibling name, then renamed over the target: a
crash leaves either the old folder or the new one, plus a stray temporary that the
next writer removes.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def replace_dir(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` at ``target``, replacing what was there.

    :param tmp: a finished folder on the same file system as ``target``.
    :param target: where it should be; an existing folder there is removed after the swap.
    """
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
