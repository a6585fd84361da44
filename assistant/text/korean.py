"""Korean text analysis shared by chunking, BM25 and the answerer.

Kiwi takes about a second to load and ~100 MB, so one analyzer is built per process
and passed around; every stage then agrees on what a sentence and a term are.
"""

from __future__ import annotations

import re
import threading

from kiwipiepy import Kiwi

from assistant.text import quotes
from assistant.text.sentences import mend
from assistant.types import Span

# Morpheme tags that carry meaning for matching: nouns, numerals, verb/adjective stems,
# roots, foreign words, hanja and numbers. Particles, endings and pronouns are left out.
CONTENT_TAGS = frozenset(
    {"NNG", "NNP", "NNB", "NR", "VV", "VA", "XR", "SL", "SN", "SH", "VV-I", "VA-I", "VV-R", "VA-R"}
)
# Pronouns, determiners and time words that point back to an earlier turn ("그는",
# "그건" (그거), "그곳", "이", "그때", "당시").
ANAPHORA_FORMS = frozenset(
    {"그", "그녀", "그들", "이", "이것", "그것", "이거", "그거", "저거", "저것", "거기", "그곳"}
    | {"여기", "이곳", "저곳", "저", "그때", "이때", "당시"}
)
ANAPHORA_TAGS = frozenset({"NP", "MM", "NNG"})
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    """True when the text holds at least one Hangul syllable."""
    return HANGUL.search(text) is not None


class KoreanAnalyzer:
    """Sentence splitting and content-morpheme terms, thread-safe."""

    def __init__(self, max_quote_chars: int = quotes.MAX_QUOTE_CHARS) -> None:
        self._kiwi = Kiwi()
        self._lock = threading.Lock()
        self.max_quote_chars = max_quote_chars

    def sentences(self, text: str) -> list[Span]:
        """Sentence spans covering the non-blank text; lines never merge across blank lines,
        and no span ends inside a quotation or bracket of at most ``max_quote_chars``."""
        spans: list[Span] = []
        for block in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
            base, part = block.start(), block.group()
            with self._lock:
                found = [Span(s.start, s.end) for s in self._kiwi.split_into_sents(part)]
            for s in mend(part, found, self.max_quote_chars):
                start, end = base + s.start, base + s.end
                # trim white space so spans point at the sentence itself
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if end > start:
                    spans.append(Span(start, end))
        return spans

    def terms(self, text: str) -> list[str]:
        """Content morphemes, lower-cased; the unit of BM25 and of answer overlap."""
        return content_terms(self.tokens(text))

    def tokens(self, text: str) -> list[tuple[str, str]]:
        """(form, tag) pairs, for rules that need the grammar, not just the terms."""
        with self._lock:
            return [(t.form, t.tag) for t in self._kiwi.tokenize(text)]

    def morphemes(self, text: str) -> list[tuple[str, str, int, int]]:
        """(form, tag, start, end) with character offsets into ``text``, for span extraction."""
        with self._lock:
            return [(t.form, t.tag, t.start, t.end) for t in self._kiwi.tokenize(text)]

    def anaphoric(self, text: str) -> bool:
        """True when the question leans on an earlier turn (pronoun, or almost no content)."""
        with self._lock:
            tokens = self._kiwi.tokenize(text)
        content = [t for t in tokens if t.tag in CONTENT_TAGS]
        refers = any(t.form in ANAPHORA_FORMS and t.tag in ANAPHORA_TAGS for t in tokens)
        return refers or len(content) <= 1


def content_terms(tokens: list[tuple[str, str]]) -> list[str]:
    """The terms of kiwi tokens that carry meaning (nouns, stems, numbers, foreign words)."""
    return [_term(form, tag) for form, tag in tokens if tag in CONTENT_TAGS]


def _term(form: str, tag: str) -> str:
    if tag.startswith(("VV", "VA")):
        return form + "다"
    return form.lower()
