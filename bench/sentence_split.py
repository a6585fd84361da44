"""How the quote-aware splitter changes sentences, on the bundled page and KorQuAD dev.

Compares kiwi's own split (what the analyzer did before issue 13) with
``KoreanAnalyzer.sentences`` and prints counts, how many sentences changed, how many
sentences each split leaves with an unbalanced quote or bracket, the longest protected
quote, and a few examples. KorQuAD is read where it lies, never copied:

    python bench/sentence_split.py [--squad PATH] [--examples 5]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from assistant.text import quotes
from assistant.text.korean import KoreanAnalyzer
from assistant.types import Span

ROOT = Path(__file__).resolve().parents[1]
KORQUAD = ROOT.parent / "shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json"
BLOCK = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")


def kiwi_only(analyzer: KoreanAnalyzer, text: str) -> list[Span]:
    """The split before issue 13: kiwi's sentences per block, white space trimmed."""
    out = []
    for block in BLOCK.finditer(text):
        for s in analyzer._kiwi.split_into_sents(block.group()):
            start, end = block.start() + s.start, block.start() + s.end
            piece = text[start:end]
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            if end > start:
                out.append(Span(start, end))
    return out


def unbalanced(text: str, span: Span) -> bool:
    """True when the sentence holds an opening mark without its closing one or the reverse
    (counted per kind; straight quotes by parity)."""
    piece = text[span.start : span.end]
    if any(piece.count(o) != piece.count(c) for o, c in quotes.PAIRS.items()):
        return True
    return piece.count('"') % 2 == 1


def compare(analyzer: KoreanAnalyzer, texts: list[str], examples: int) -> dict[str, object]:
    """Sentence counts and changes of the two splits over ``texts``."""
    before = after = changed = unb_before = unb_after = 0
    longest = 0
    shown: list[str] = []
    for text in texts:
        old, new = kiwi_only(analyzer, text), analyzer.sentences(text)
        before, after = before + len(old), after + len(new)
        gone = set(old) - set(new)
        changed += len(gone)
        unb_before += sum(unbalanced(text, s) for s in old)
        unb_after += sum(unbalanced(text, s) for s in new)
        regions = quotes.protected(text, analyzer.max_quote_chars)
        longest = max([longest, *(r.end - r.start for r in regions)])
        fresh = sorted(set(new) - set(old), key=lambda s: s.start)
        shown.extend(text[s.start : s.end] for s in fresh[: max(0, examples - len(shown))])
    return {
        "texts": len(texts),
        "sentences_before": before,
        "sentences_after": after,
        "before_sentences_changed": changed,
        "unbalanced_before": unb_before,
        "unbalanced_after": unb_after,
        "longest_protected_chars": longest,
        "examples": shown,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=KORQUAD)
    ap.add_argument("--examples", type=int, default=5)
    args = ap.parse_args()
    analyzer = KoreanAnalyzer()
    page = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    data = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
    contexts = list(dict.fromkeys(p["context"] for a in data for p in a["paragraphs"]))
    for name, texts in (("bundled page", page), ("KorQuAD dev paragraphs", contexts)):
        print(name, json.dumps(compare(analyzer, texts, args.examples), ensure_ascii=False))


if __name__ == "__main__":
    main()
