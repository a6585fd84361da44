"""Follow-ups: when a question leans on the last turn, and which documents that turn quoted."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document

from assistant.pipeline.followup import cited_documents, is_follow_up, quoted_sentences
from assistant.text.korean import KoreanAnalyzer
from tests.fakes.parts import passage


class Lookup:
    """A searcher returning fixed chunks and recording its queries."""

    def __init__(self, chunks: list[Document]) -> None:
        self.chunks = chunks
        self.queries: list[str] = []

    def search(self, query: str, **kwargs: Any) -> list[Document]:
        self.queries.append(query)
        return self.chunks


CHUNKS = [
    passage("r2", "북한 관영 매체는 일주일 늦게 이를 보도했다.\n발표했다.", 0.9),
    passage("r7", "북한은 4일 극초음속 미사일을 시험 발사했다.\n국가매체가 보도했다.", 0.8),
]


def test_quoted_sentences_are_the_ones_a_marker_follows() -> None:
    answer = "북한은 4일 극초음속 미사일을 시험 발사했다. [1] 국가매체가 보도했다. [2]"
    assert quoted_sentences(answer) == [
        "북한은 4일 극초음속 미사일을 시험 발사했다.",
        "국가매체가 보도했다.",
    ]
    assert quoted_sentences("기사에서 이 질문에 대한 답을 찾지 못했습니다.") == []


def test_cited_documents_are_those_holding_the_quotes_word_for_word() -> None:
    lookup = Lookup(CHUNKS)
    answer = "북한은 4일 극초음속 미사일을 시험 발사했다. [1]"
    assert cited_documents(answer, lookup) == ["r7"]
    assert lookup.queries == ["북한은 4일 극초음속 미사일을 시험 발사했다."]


def test_a_written_answer_or_a_refusal_names_no_document() -> None:
    lookup = Lookup(CHUNKS)
    assert cited_documents("북한이 미사일을 쐈다고 합니다. [1]", lookup) == []
    assert cited_documents("The articles don't say.", lookup) == []
    assert lookup.queries == ["북한이 미사일을 쐈다고 합니다."]  # a refusal is not searched


def test_a_follow_up_leans_on_an_earlier_turn(analyzer: KoreanAnalyzer) -> None:
    history = [("북한이 극초음속 미사일을 시험 발사한 날은?", "… [1]")]
    assert is_follow_up("그건 누가 발표했어?", history, analyzer)
    assert not is_follow_up("그건 누가 발표했어?", [], analyzer)
    assert not is_follow_up("시진핑 주석과 이재명 대통령은 어디서 만났나?", history, analyzer)
