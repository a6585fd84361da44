"""Swapping a finished folder into place, so a reader never sees half of one.

Where the system can (Linux ``renameat2`` with ``RENAME_EXCHANGE``: ext4, xfs, btrfs,
tmpfs), the new folder and the old one trade places in one step: a complete folder stands
at the target at every instant, and a crash leaves at most the old one under the
temporary name, which its writer removes. Elsewhere the swap is two renames (the old
folder to ``NAME.old``, the new one to ``NAME``); a crash between them leaves ``NAME.old``
as the only complete copy, so every call first moves it back (``restore``), and a
``.old`` is deleted only while a complete folder stands at the target.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# renameat2 answers these where the file system or kernel cannot exchange: use two renames
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}


def old_copy(target: Path) -> Path:
    """Where the two-rename swap keeps the previous folder while it moves the new one in."""
    return target.with_name(target.name + ".old")


def restore(target: Path) -> bool:
    """Move ``NAME.old`` back to ``target`` when a two-rename swap stopped between its
    renames (nothing at ``target``); returns whether it did."""
    old = old_copy(target)
    if target.exists() or not old.is_dir():
        return False
    os.rename(old, target)
    return True


def replace_dir(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` at ``target``, replacing what was there.

    :param tmp: a finished folder on the same file system as ``target``; gone afterwards
        (on an error the caller removes it, as before).
    :param target: where it should be; an existing folder there is removed after the swap.
    :raises OSError: a rename failed; a complete folder is then at ``target`` or, after
        a failed second rename, at ``NAME.old``, which the next call (or ``restore``)
        moves back.
    """
    restore(target)
    if target.is_dir() and _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # it holds the previous folder now
        return
    old = old_copy(target)
    if target.exists():  # a complete folder stands at the target: a .old is a leftover
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; False where this system cannot.

    :raises OSError: the exchange is supported but failed (e.g. a full disk).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, musl)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))
