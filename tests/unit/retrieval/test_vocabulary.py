"""Questions made of nothing searchable are recognised (kiwi is real; the corpus is a df table)."""

from __future__ import annotations

import pytest

from assistant.retrieval.vocabulary import has_letters_or_digits, has_meaningful_words
from assistant.storage.lexical import LexicalIndex, LexicalRows
from assistant.text.korean import KoreanAnalyzer

CORPUS = [
    "북한은 극초음속 미사일을 시험 발사했다.",
    "푸틴 대통령이 김정은 위원장에게 새해 메시지를 보냈다.",
    "KCNA는 2026년 1월 4일 발사를 보도했다.",
]


@pytest.fixture(scope="module")
def lexical(analyzer: KoreanAnalyzer) -> LexicalIndex:
    rows = LexicalRows(
        chunk_ids=[f"c{i}" for i in range(len(CORPUS))],
        terms=[analyzer.terms(t) for t in CORPUS],
        sources=["a.txt"] * len(CORPUS),
        days=[0] * len(CORPUS),
    )
    return LexicalIndex.build(rows, generation=1, k1=0.5, b=0.3)


@pytest.mark.parametrize(
    "question",
    [
        "😀🔥🇰🇷👍",
        "?!?...",
        "   ",
        "asdf qwer zxcv",
        "12345",
        "ㅋㅋㅋㅋ",
        "뭐야?",
        "비트코인 시세는?",
    ],
)
def test_nothing_searchable(question: str, analyzer: KoreanAnalyzer, lexical: LexicalIndex) -> None:
    assert not has_meaningful_words(question, analyzer, lexical)


@pytest.mark.parametrize(
    "question",
    [
        "북한은 미사일을 언제 발사했나?",
        "푸틴의 메시지는?",
        "Who condemned the US over Venezuela?",
        "What did KCNA report?",
        "hypersonic missile",
        "2026년에 무슨 일이 있었나?",
    ],
)
def test_real_questions_pass(
    question: str, analyzer: KoreanAnalyzer, lexical: LexicalIndex
) -> None:
    assert has_meaningful_words(question, analyzer, lexical)


def test_letters_and_digits_of_any_script() -> None:
    assert has_letters_or_digits("٣") and has_letters_or_digits("é") and has_letters_or_digits("한")
    assert not has_letters_or_digits("?! …") and not has_letters_or_digits("🇰🇷")
