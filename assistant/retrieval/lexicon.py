"""English names and words → their Korean forms, so an English question can be searched
with BM25 (and its embedding carries the Korean forms too).

Two sources, merged: a small built-in list of common country, city and organisation names
and common news words (a TSV data file, ``lexicon_en_ko.tsv``), and the articles — Korean
news often gives the Latin form of a name in parentheses after the Korean one, as in
``니콜라스 마두로(Nicolás Maduro)`` or ``조선중앙통신(KCNA)``.

Matching ignores case (except in acronyms), accents and a possessive ``'s``; the longest
phrase wins ("North Korea" before "Korea").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from wordfreq import zipf_frequency

MAX_WORDS = 4  # longest English phrase looked up
# 한글 words, then the Latin form in parentheses: 니콜라스 마두로(Nicolás Maduro)
_PAIR = re.compile(
    r"(?<!\S)((?:[\uac00-\ud7a3]+ ){0,3}[\uac00-\ud7a3]+)\(([A-ZÀ-Þ][A-Za-zÀ-ÿ.'& -]{0,60})\)"
)
# A word this common in English (wordfreq's Zipf scale) is never mapped on its own.
COMMON_ZIPF = 5.0
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:[.'-][A-Za-zÀ-ÿ0-9]+)*")


def fold(text: str) -> str:
    """Lower case without accents: ``Nicolás`` → ``nicolas``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, a possessive ``'s`` dropped; a word in capitals
    (``US``, ``UN``) keeps them, so it never matches the pronoun "us"."""
    out = []
    for w in _WORD.findall(text.replace("’", "'")):
        w = w[:-2] if w.lower().endswith("'s") else w
        out.append(fold(w).upper() if len(w) > 1 and w.isupper() else fold(w))
    return out


class Lexicon:
    """English phrase (folded words joined by spaces) → Korean forms.

    :param entries: phrase → Korean forms; phrases are folded here.
    """

    def __init__(self, entries: Mapping[str, Iterable[str]] | None = None) -> None:
        self.entries: dict[str, list[str]] = {}
        for phrase, forms in (entries or {}).items():
            self.add(phrase, forms)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, phrase: str, forms: Iterable[str]) -> None:
        """Record Korean ``forms`` for an English ``phrase`` (kept if already there)."""
        key = " ".join(words(phrase))
        if not key:
            return
        known = self.entries.setdefault(key, [])
        known.extend(f for f in forms if f and f not in known)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read a TSV file: English phrase, tab, Korean forms separated by ``|``; lines
        starting with ``#`` are comments. Raises OSError when it cannot be read."""
        lexicon = cls()
        for line in path.read_text("utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            english, _, korean = line.partition("\t")
            lexicon.add(english, [k.strip() for k in korean.split("|")])
        return lexicon

    def harvest(self, texts: Iterable[str]) -> Lexicon:
        """This lexicon plus the name pairs the ``texts`` spell out (see module docstring);
        a multi-word name of as many Korean words also maps word by word."""
        out = Lexicon(self.entries)
        for text in texts:
            for korean, latin in _PAIR.findall(text):
                for english, forms in name_pairs(korean, latin):
                    out.add(english, forms)
        return out

    def translate(self, question: str) -> list[str]:
        """The Korean forms of the names in ``question``, longest phrases first matched,
        in question order, each form once."""
        found: list[str] = []
        ws = words(question)
        i = 0
        while i < len(ws):
            for n in range(min(MAX_WORDS, len(ws) - i), 0, -1):
                forms = self.entries.get(" ".join(ws[i : i + n]))
                if forms:
                    found.extend(f for f in forms if f not in found)
                    i += n
                    break
            else:
                i += 1
        return found


def name_pairs(korean: str, latin: str) -> list[tuple[str, list[str]]]:
    """(English, [Korean]) pairs one parenthesised name gives.

    An acronym (``KCNA``) names the last Korean word. A name of n Latin words names the
    last n Korean words, and each of its words (but very common English ones) the Korean
    word in the same place; when the last Korean word alone is as long as n names are
    (a compound, 유럽중앙은행 for European Central Bank), it names that word only.
    """
    latin_words = latin.split()
    korean_words = korean.split()
    if not latin_words:
        return []
    if len(latin_words) == 1:
        return [(latin, [korean_words[-1]])]
    n = len(latin_words)
    if len(korean_words) < n or len(korean_words[-1]) >= 2 * n:
        return [(latin, [korean_words[-1]])]
    mine = korean_words[-n:]
    pairs = [(latin, [" ".join(mine)])]
    pairs += [
        (lw, [kw])
        for lw, kw in zip(latin_words, mine, strict=True)
        if len(lw) > 2 and zipf_frequency(fold(lw), "en") < COMMON_ZIPF
    ]
    return pairs
