"""Verification of generated answers: hand-written answers against real retrieved passages."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from assistant.pipeline.service import Assistant

AMBASSADOR = "러시아의 평양 주재 대사는 누구였나?"


@pytest.fixture(scope="module")
def passages(qa: Assistant) -> list[Document]:
    """[1] the ambassador's obituary, [2] Putin's New Year message, [3] the missile test."""
    vector = qa.embedder.embed_queries([AMBASSADOR])[0]
    docs = qa.search.search(AMBASSADOR, k=3, query_vector=vector)
    assert docs[0].metadata["doc_id"].endswith("-r1"), [d.metadata["doc_id"] for d in docs]
    assert "마체고라" not in docs[1].page_content + docs[2].page_content
    return docs


def verdicts(qa: Assistant, passages: list[Document], answer: str) -> list:
    return qa.verifier.check(answer, passages).sentences


def test_supported_sentence_keeps_its_citation(qa: Assistant, passages: list[Document]) -> None:
    answer = "마체고라는 10년간 대사로 재임하며 러시아와의 관계 발전에 기여했다 [1]."
    [v] = verdicts(qa, passages, answer)
    assert v.verdict == "supported" and v.passage == 1 and v.cited == (1,)
    assert v.support >= qa.verifier.threshold and not v.unknown_facts
    evidence = passages[0].page_content[v.evidence.start - passages[0].metadata["start"] :]
    assert evidence.startswith("마체고라는 10년간 대사로 재임하며")  # the supporting sentence


def test_citation_of_a_passage_never_given_is_flagged(
    qa: Assistant, passages: list[Document]
) -> None:
    [v] = verdicts(qa, passages, "마체고라는 10년간 대사로 재임했다. [7]")
    assert v.invalid_citations == (7,)
    assert v.verdict == "recited" and v.passage == 1  # supported, but by passage 1


def test_wrong_passage_number_is_corrected(qa: Assistant, passages: list[Document]) -> None:
    [v] = verdicts(qa, passages, "최선희 외무상도 별도로 조전을 보냈다 [3].")
    assert v.cited == (3,) and not v.invalid_citations
    assert v.verdict == "recited" and v.passage == 1


def test_unsupported_sentence_is_dropped(qa: Assistant, passages: list[Document]) -> None:
    answer = (
        "마체고라는 10년간 대사로 재임했다 [1]. "
        "그는 대사로 오기 전 대학에서 경제학을 가르치는 교수로 일했다 [1]."
    )
    first, second = verdicts(qa, passages, answer)
    assert first.verdict == "supported"
    assert second.verdict == "unsupported" and not second.kept
    assert second.support < qa.verifier.threshold


def test_invented_number_is_flagged(qa: Assistant, passages: list[Document]) -> None:
    [v] = verdicts(qa, passages, "마체고라는 15년간 대사로 재임했다 [1].")
    assert v.verdict == "invented" and v.unknown_facts == ("15",)


def test_invented_name_is_flagged(qa: Assistant, passages: list[Document]) -> None:
    [v] = verdicts(qa, passages, "마체고라의 후임 대사로는 이고르 페트로프가 임명됐다 [1].")
    assert v.verdict == "invented" and "페트로프" in v.unknown_facts


def test_english_sentence_is_checked_by_meaning_and_numbers(
    qa: Assistant, passages: list[Document]
) -> None:
    good, bad = verdicts(
        qa,
        passages,
        "Matsegora served as ambassador for 10 years [1]. "
        "He served as ambassador for 25 years [1].",
    )
    assert good.verdict in {"supported", "recited"} and good.passage == 1
    assert bad.verdict == "invented" and bad.unknown_facts == ("25",)


def test_refusal_is_recognised(qa: Assistant, passages: list[Document]) -> None:
    checked = qa.verifier.check(qa.messages.get("refusal", "ko"), passages)
    assert checked.is_refusal and not checked.claims
    assert qa.verifier.check(qa.messages.get("refusal", "en"), passages).is_refusal
