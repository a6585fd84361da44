"""Chunking: sentence-aligned, within the token budget, offsets exact, tiktoken offline."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.indexing.chunking import CL100K_CACHE_NAME, Chunker, offline_cl100k
from assistant.indexing.corpus import load_file
from assistant.text.korean import shared_analyzer
from assistant.types import Article
from tests.fixtures.paths import CORPUS


@pytest.fixture(scope="module")
def chunker(tmp_path_factory: pytest.TempPathFactory) -> Chunker:
    encoding = offline_cl100k(tmp_path_factory.mktemp("tiktoken"))
    return Chunker(shared_analyzer(), encoding, max_tokens=200, overlap=1)


def test_tiktoken_file_is_placed_for_offline_use(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    encoding = offline_cl100k(tmp_path)
    assert (tmp_path / CL100K_CACHE_NAME).stat().st_size > 1_000_000
    assert encoding.name == "cl100k_base"
    assert encoding.decode(encoding.encode("북한 김정은")) == "북한 김정은"


def test_chunks_cover_the_article_with_exact_offsets(chunker: Chunker) -> None:
    for article in load_file(CORPUS / "000_e3f8f1e00a5f7b14.txt", CORPUS):
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
    main = load_file(CORPUS / "000_e3f8f1e00a5f7b14.txt", CORPUS)[0]
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
    article = load_file(CORPUS / "000_e3f8f1e00a5f7b14.txt", CORPUS)[1]
    assert [c.chunk_id for c in chunker.split(article)] == [
        c.chunk_id for c in chunker.split(article)
    ]
