"""sentencepiece's ``precompiled_charsmap``: a string → string rule table as bytes.

The blob ``tokenizers``' ``Precompiled`` normalizer reads (spm_precompiled): a u32 trie size
in bytes, a darts-clone double-array trie over the UTF-8 keys (u32 units), then the
replacement strings, each ending in NUL; a key's value is its replacement's byte offset.

A unit holds a label (low 8 bits), a has-leaf flag (bit 8) and the XOR offset from its
position to its children's base (bits 10-30; bit 9 would scale it by 256). A node's
children sit at ``base ^ byte``, its value (bit 31 set) at ``base``. Any valid array is
read the same way, so :func:`encode` need not reproduce sentencepiece's layout byte for
byte; :func:`decode` lists a blob's rules back, to compare two blobs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

LEAF, VALUE = 1 << 8, 1 << 31
BLOCK = 256


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    value: int | None = None


def _pool(rules: dict[str, str]) -> tuple[bytes, dict[str, int]]:
    """Each distinct replacement once, NUL-terminated, and its byte offset."""
    offsets: dict[str, int] = {}
    pool = bytearray()
    for value in sorted(set(rules.values())):
        offsets[value] = len(pool)
        pool += value.encode("utf-8") + b"\0"
    return bytes(pool), offsets


def _trie(keys: dict[bytes, int]) -> _Node:
    root = _Node()
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value
    return root


class _Builder:
    """Places trie nodes in a growing array, each node's labels at ``base ^ label``."""

    def __init__(self) -> None:
        self.units: list[int] = [0] * BLOCK
        self.used = bytearray(BLOCK)
        self.bases: set[int] = set()
        self.first_free = 1

    def _grow(self, size: int) -> None:
        size = -(-size // BLOCK) * BLOCK
        if size > len(self.units):
            self.units += [0] * (size - len(self.units))
            self.used += bytes(size - len(self.used))

    def _next_free(self, pos: int) -> int:
        """The first free position at or after ``pos`` (past the end counts as free)."""
        found = self.used.find(0, pos)
        return len(self.used) if found < 0 else found

    def find_base(self, labels: list[int]) -> int:
        """The first base, not yet taken, whose ``base ^ label`` positions are all free."""
        size, used = len(self.used), self.used
        pos = self.first_free
        while True:
            base = pos ^ labels[0]
            if base not in self.bases and all(
                base ^ c >= size or not used[base ^ c] for c in labels
            ):
                return base
            pos = self._next_free(pos + 1)

    def place(self, node: _Node, pos: int, label: int) -> list[tuple[_Node, int, int]]:
        """Write ``node``'s unit at ``pos`` and claim its children's places; return them."""
        labels = ([0] if node.value is not None else []) + sorted(node.children)
        base = self.find_base(labels)
        self.bases.add(base)
        self._grow((base | (BLOCK - 1)) + 1)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for unscaled offsets")
        self.units[pos] = (offset << 10) | (LEAF if node.value is not None else 0) | label
        for c in labels:
            self.used[base ^ c] = 1
        if node.value is not None:
            self.units[base] = VALUE | node.value
        self.first_free = self._next_free(self.first_free)
        return [(child, base ^ c, c) for c, child in sorted(node.children.items())]


def encode(rules: dict[str, str]) -> bytes:
    """The ``precompiled_charsmap`` blob for ``rules`` (key → replacement, both non-empty
    keys; a replacement may be empty, i.e. the key is deleted)."""
    pool, offsets = _pool(rules)
    root = _trie({k.encode("utf-8"): offsets[v] for k, v in rules.items()})
    builder = _Builder()
    builder.used[0] = 1
    todo = [(root, 0, 0)]
    while todo:
        todo.extend(builder.place(*todo.pop()))
    units = np.array(builder.units, dtype="<u4").tobytes()
    return struct.pack("<I", len(units)) + units + pool


def _offset(unit: int) -> int:
    return (unit >> 10) << ((unit & (1 << 9)) >> 6)


def decode(blob: bytes) -> dict[str, str]:
    """Every rule in a ``precompiled_charsmap`` blob, by walking its trie."""
    (size,) = struct.unpack_from("<I", blob, 0)
    units = np.frombuffer(blob, "<u4", size // 4, 4).tolist()
    pool = blob[4 + size :]
    rules: dict[str, str] = {}
    todo = [(_offset(units[0]), b"")]
    while todo:
        base, key = todo.pop()
        for c in range(1, BLOCK):
            pos = base ^ c
            if pos >= len(units) or units[pos] & (VALUE | 0xFF) != c:
                continue
            child = pos ^ _offset(units[pos])
            if units[pos] & LEAF:
                start = units[child] & (VALUE - 1)
                rules[(key + bytes([c])).decode("utf-8")] = pool[
                    start : pool.index(b"\0", start)
                ].decode("utf-8")
            todo.append((child, key + bytes([c])))
    return rules
