"""Chunking with the real kiwi analyzer and cl100k: sentence-aligned, within budget, exact."""

from __future__ import annotations

import itertools

import pytest

from assistant.indexing.chunking import Chunker
from assistant.indexing.corpus import load_file
from assistant.text.korean import KoreanAnalyzer
from assistant.text.tokens import cl100k
from assistant.types import Article, Span
from tests.fixtures.paths import CORPUS

PAGE = CORPUS / "000_e3f8f1e00a5f7b14.txt"


@pytest.fixture(scope="module")
def chunker(analyzer: KoreanAnalyzer) -> Chunker:
    return Chunker(analyzer, cl100k(), max_tokens=200, overlap=1)


def test_chunks_cover_the_article_with_exact_offsets(chunker: Chunker) -> None:
    for article in load_file(PAGE, CORPUS):
        chunks = chunker.split(article)
        assert chunks, article.doc_id
        for chunk in chunks:
            assert chunk.text == article.text[chunk.start : chunk.end]
            for span, sentence in zip(chunk.sentences, chunk.sentence_texts, strict=True):
                assert sentence == article.text[span.start : span.end]
                assert sentence == sentence.strip()
            if len(chunk.sentences) > 1:
                assert chunker.count(chunk.text) <= chunker.max_tokens + 5  # joins add a space
        # every sentence's characters are in some chunk (overlong ones may be cut in pieces)
        covered = {i for c in chunks for s in c.sentences for i in range(s.start, s.end)}
        every = {
            i
            for s in chunker.analyzer.sentences(article.text)
            for i in range(s.start, s.end)
            if not article.text[i].isspace()
        }
        assert every <= covered


def test_consecutive_chunks_share_one_sentence(chunker: Chunker) -> None:
    main = load_file(PAGE, CORPUS)[0]
    chunks = chunker.split(main)
    assert len(chunks) >= 3
    pairs = [(a, b) for a, b in itertools.pairwise(chunks) if len(a.sentences) > 1]
    assert pairs
    for a, b in pairs:  # a one-sentence chunk cannot overlap without repeating itself
        assert a.sentences[-1] == b.sentences[0]


def test_overlong_sentence_is_cut_without_losing_text(chunker: Chunker) -> None:
    text = "아주 긴 문장 " * 400  # no sentence end at all
    article = Article("long", "long", text.strip(), "long.txt")
    chunks = chunker.split(article)
    assert len(chunks) > 3
    assert all(chunker.count(c.text) <= chunker.max_tokens for c in chunks)
    assert chunks[-1].end == len(article.text)
    spans = sorted({(s.start, s.end) for c in chunks for s in c.sentences})
    assert "".join(article.text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


def test_chunk_ids_are_stable(chunker: Chunker) -> None:
    article = load_file(PAGE, CORPUS)[1]
    assert [c.chunk_id for c in chunker.split(article)] == [
        c.chunk_id for c in chunker.split(article)
    ]


def test_pack_follows_the_budget_and_overlap(chunker: Chunker) -> None:
    text = "가. 나. 다. 라. 마."
    spans = [Span(i, i + 2) for i in range(0, len(text), 3)]
    article = Article("p", "p", text, "p.txt")
    packed = Chunker(chunker.analyzer, chunker.encoding, max_tokens=10, overlap=1).pack(
        article, spans, [4, 4, 4, 4, 4]
    )
    assert [c.text for c in packed] == ["가. 나.", "나. 다.", "다. 라.", "라. 마."]
    assert [c.chunk_id for c in packed] == ["p::0", "p::1", "p::2", "p::3"]
    no_overlap = Chunker(chunker.analyzer, chunker.encoding, max_tokens=10, overlap=0)
    assert [c.text for c in no_overlap.pack(article, spans, [4] * 5)] == [
        "가. 나.",
        "다. 라.",
        "마.",
    ]


def test_special_token_text_is_counted_not_refused(chunker: Chunker) -> None:
    assert chunker.count("<|endoftext|>") > 1  # as plain text, never as the special token


def test_an_overlong_sentence_is_cut_outside_its_quote(analyzer: KoreanAnalyzer) -> None:
    quote = '"이제 누구도 두 나라 인민들의 관계와 단결을 깨뜨릴 수 없다,"'
    text = "그는 오늘 아침 기자들 앞에서 " + quote + "라고 힘주어 말했다"
    small = Chunker(analyzer, cl100k(), max_tokens=50, overlap=0)
    article = Article("q", "q", text, "q.txt")
    pieces = [article.text[s.start : s.end] for c in small.split(article) for s in c.sentences]
    assert len(pieces) > 1 and any(quote in p for p in pieces)
