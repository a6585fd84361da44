"""The precompiled_charsmap blob: written by us, read back by us and by ``tokenizers``."""

from __future__ import annotations

import random

from tokenizers import normalizers

from assistant.models import charsmap

RULES = {
    "Ａ": "A",  # full width
    "①": "1",
    "\x07": "",  # a control character is dropped
    "e\u0301": "é",  # a sequence rule: the pair composes
    "ﬁ": "fi",
}


def test_rules_survive_encode_and_decode() -> None:
    assert charsmap.decode(charsmap.encode(RULES)) == RULES


def test_many_random_rules_survive_encode_and_decode() -> None:
    rng = random.Random(1)
    alphabet = "abcé가나다漢字😀\u0301"
    rules = {
        "".join(rng.choices(alphabet, k=rng.randint(1, 4))): "".join(
            rng.choices(alphabet, k=rng.randint(0, 3))
        )
        for _ in range(2000)
    }
    assert charsmap.decode(charsmap.encode(rules)) == rules


def test_tokenizers_reads_the_blob_as_sentencepiece_does() -> None:
    normalizer = normalizers.Precompiled(charsmap.encode(RULES))
    assert normalizer.normalize_str("ＡB①\x07C") == "AB1C"
    assert normalizer.normalize_str("cafe\u0301 ﬁn") == "café fin"
    assert normalizer.normalize_str("e\u0302") == "e\u0302"  # no rule: left alone
