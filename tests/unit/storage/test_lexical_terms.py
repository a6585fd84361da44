"""BM25 over real kiwipiepy morphemes: a question's terms find the sentence's chunk.

The index itself (filters, idf, saving, damage) is tested on hand-written terms in
``test_lexical.py``; this checks it with the analyzer it is fed by (kiwi, no e5 model).
"""

from __future__ import annotations

from assistant.storage.lexical import LexicalIndex, LexicalRows
from assistant.text.korean import KoreanAnalyzer

TEXTS = [
    "북한은 4일 극초음속 미사일을 시험 발사했다.",
    "시진핑 주석과 이재명 대통령이 베이징에서 정상회담을 열었다.",
    "푸틴 대통령이 김정은 위원장에게 새해 메시지를 보냈다.",
]


def _index(a: KoreanAnalyzer) -> LexicalIndex:
    rows = LexicalRows(
        chunk_ids=["c0", "c1", "c2"],
        terms=[a.terms(t) for t in TEXTS],
        sources=["a.txt", "b.txt", "a.txt"],
        days=[20260104, 20260106, 0],
    )
    return LexicalIndex.build(rows, generation=1, k1=0.5, b=0.3)


def test_analyzed_question_ranks_the_matching_chunk_first(analyzer: KoreanAnalyzer) -> None:
    index = _index(analyzer)
    hits = index.search(analyzer.terms("극초음속 미사일 발사"), k=3)
    assert hits[0][0] == "c0" and hits[0][1] > 0
    assert all(score > 0 for _, score in hits)
    assert index.search(analyzer.terms("새해 메시지는?"), k=3)[0][0] == "c2"


def test_inflected_forms_share_a_term(analyzer: KoreanAnalyzer) -> None:
    index = _index(analyzer)
    assert index.idf("사상자") > index.idf("대통령") > 0
    # "정상회담을" and "정상회담" reduce to the same morphemes
    assert index.search(analyzer.terms("정상회담"), k=1)[0][0] == "c1"
