"""Cutting long text into blocks for sentence analysis, and bounding JSON nesting: where the
cuts fall, that nothing is lost, and that neither needs recursion or the whole text at once."""

from __future__ import annotations

import itertools

import pytest

from assistant.errors import UnreadableFile
from assistant.indexing.blocks import MAX_BLOCK_CHARS, blocks
from assistant.indexing.chunking import Chunker
from assistant.indexing.limits import Limits, json_depth


def _pieces(text: str, max_chars: int = MAX_BLOCK_CHARS) -> list[str]:
    found = list(blocks(text, max_chars))
    assert found[0][0] == 0 and found[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(found))  # no gaps
    assert all(0 < end - start <= max_chars for start, end in found)
    return [text[s:e] for s, e in found]


def test_short_text_is_one_block() -> None:
    assert _pieces("한 문장이다. 두 문장이다.") == ["한 문장이다. 두 문장이다."]
    assert list(blocks("")) == []


def test_a_blank_line_is_the_first_choice() -> None:
    text = "가" * 60 + "\n\n" + "나 " * 10 + "다. " + "라" * 20
    assert _pieces(text, 100)[0] == "가" * 60 + "\n\n"


def test_a_sentence_end_beats_a_space() -> None:
    text = "가나다 " * 5 + "발표했다. " + "라마바사 " * 20
    assert _pieces(text, 60)[0].endswith("발표했다. ")


def test_one_endless_line_is_cut_at_spaces() -> None:
    text = "서울시는 새 버스 노선을 발표했고 " * 1000  # 18,000 characters, no full stop
    pieces = _pieces(text)
    assert len(pieces) >= 9
    assert all(p.endswith(" ") for p in pieces[:-1])


def test_text_without_any_space_is_cut_at_the_limit() -> None:
    assert [len(p) for p in _pieces("가" * 5000)] == [2000, 2000, 1000]


def test_sentences_of_short_articles_are_the_analyzers_own(chunker_parts) -> None:
    analyzer, chunker = chunker_parts
    text = "제목이다\n\n서울시는 새 버스 노선을 발표했다. 시민 반응은 엇갈렸다.\n둘째 줄이다."
    assert chunker.sentences(text) == analyzer.sentences(text)


def test_sentences_of_a_long_line_keep_their_offsets(chunker_parts) -> None:
    _, chunker = chunker_parts
    text = "서울시는 새 버스 노선을 발표했다. 시민 반응은 엇갈렸다. " * 150  # ~5,000 chars
    spans = chunker.sentences(text)
    assert len(spans) == 300
    assert all(text[s.start : s.end].endswith("다.") for s in spans)


@pytest.fixture(scope="module")
def chunker_parts(analyzer, encoding):
    return analyzer, Chunker(analyzer, encoding)


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth('"[\\"[["') == 0
    assert json_depth("[" * 10000 + "]" * 10000) == 10000
    assert json_depth("plain text") == 0


def test_depth_limit_names_its_setting() -> None:
    Limits(max_json_depth=3).check_depth("[[[1]]]")
    with pytest.raises(UnreadableFile, match=r"nested 4 levels .* ingest_max_json_depth"):
        Limits(max_json_depth=3).check_depth("[[[[1]]]]")


def test_size_limit_names_its_setting() -> None:
    Limits(max_file_bytes=1000).check_size(1000, "a.txt")
    with pytest.raises(UnreadableFile, match=r"a\.txt: 0\.0 MB .* ingest_max_file_bytes"):
        Limits(max_file_bytes=1000).check_size(1001, "a.txt")
