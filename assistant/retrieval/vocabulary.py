"""Whether a question is made of words at all: words the corpus knows, or real English words.

A question of emoji, punctuation or keyboard mash ("asdf qwer zxcv") would otherwise be
ranked by the dense side alone, which always returns *something*, and get quoted an
unrelated sentence. Such questions are refused before retrieval instead.
"""

from __future__ import annotations

import re
from functools import cache

from assistant.storage.lexical import LexicalIndex
from assistant.text.korean import KoreanAnalyzer, has_hangul

# A word this common in English (wordfreq's Zipf scale: 3 = once per million words) is a
# real word, not keyboard mash; "asdf" is 1.65, "hypersonic" 2.53, "missile" 4.14.
ENGLISH_ZIPF_FLOOR = 2.5
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def has_letters_or_digits(text: str) -> bool:
    """True when the text holds at least one letter or digit of any script."""
    return any(ch.isalnum() for ch in text)


def known_terms(query: str, analyzer: KoreanAnalyzer, lexical: LexicalIndex) -> list[str]:
    """The query's content morphemes that occur in the indexed corpus."""
    return [t for t in analyzer.terms(query) if lexical.df.get(t, 0) > 0]


def is_english_word(word: str) -> bool:
    """A word common enough in English to be one (wordfreq ships its lists offline)."""
    return _zipf(word.lower()) >= ENGLISH_ZIPF_FLOOR


def has_meaningful_words(query: str, analyzer: KoreanAnalyzer, lexical: LexicalIndex) -> bool:
    """False for a question that nothing could answer: no letters or digits; a Korean
    question none of whose content words the corpus uses; a question without Hangul whose
    words are neither in the corpus nor English words."""
    if not has_letters_or_digits(query):
        return False
    if known_terms(query, analyzer, lexical):
        return True
    if has_hangul(query):
        return False
    return any(is_english_word(w) for w in LATIN_WORD.findall(query))


@cache
def _zipf(word: str) -> float:
    """wordfreq's lookup (pure and read-only: cached so a word is looked up once)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))
