"""HybridSearch's English side: the lexicon grows by the indexed articles' own pairs and is
rebuilt when the index changes; a Korean query is never translated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.retrieval.hybrid import HybridSearch
from assistant.retrieval.lexicon import Lexicon


@dataclass
class ArticlesStore:
    """The part of ``Store`` the translation reads: documents and a write counter."""

    texts: dict[str, str] = field(default_factory=dict)
    generation: int = 0
    reads: int = 0
    texts_read: list[str] = field(default_factory=list)

    def documents(self) -> Iterator[tuple[str, str, str]]:
        self.reads += 1
        return iter([(d, d, "news") for d in self.texts])

    def document_text(self, doc_id: str) -> str | None:
        self.texts_read.append(doc_id)
        return self.texts.get(doc_id)


def _search(store: ArticlesStore, lexicon: Lexicon | None) -> HybridSearch:
    return HybridSearch(store, None, None, lexicon=lexicon)  # type: ignore[arg-type]


def test_articles_pairs_join_the_lexicon_and_follow_the_index() -> None:
    store = ArticlesStore({"a": "미국은 니콜라스 마두로(Nicolás Maduro) 대통령을 체포했다."})
    search = _search(store, Lexicon({"Venezuela": ["베네수엘라"]}))
    assert search.translated("Was Maduro arrested in Venezuela?") == "마두로 베네수엘라"
    assert search.dense_query("Maduro?") == "Maduro? 마두로"
    assert store.reads == 1  # harvested once per index generation
    store.texts["b"] = "시진핑(Xi Jinping) 주석은"
    assert search.translated("Xi Jinping") == ""
    store.generation += 1
    assert search.translated("Xi Jinping") == "시진핑" and store.reads == 2
    assert store.texts_read == ["a", "b"]  # a document already read is not read again


def test_korean_queries_and_a_missing_lexicon_translate_nothing() -> None:
    store = ArticlesStore({"a": "니콜라스 마두로(Nicolás Maduro)"})
    assert _search(store, Lexicon()).translated("마두로(Maduro)는?") == ""
    assert _search(store, None).translated("Maduro") == ""
    assert _search(store, None).dense_query("Maduro") == "Maduro"
    assert store.reads == 0
