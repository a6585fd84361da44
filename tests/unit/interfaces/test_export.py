"""The conversation export: each turn's question, answer, status and citations as JSON."""

from __future__ import annotations

import json

from assistant.interfaces.web.export import conversation_json
from assistant.interfaces.web.render import turn_record
from assistant.types import Answer, Citation


def test_turns_export_with_their_citations() -> None:
    cited = Citation(1, "corpus/a", "제목", "a.txt", "청크 문장.", 10, 16, 0.9, "청크 문장.",
                     "corpus/a#0", 10, "https://x.kr/a", "2025-01-01")  # fmt: skip
    answered = Answer("대사는 누구?", "마체고라. [1]", False, (cited,))
    refused = Answer(
        "나이는?", "기사에서 이 질문에 대한 답을 찾지 못했습니다.", True, status="refused"
    )
    turns = [turn_record(answered, 1, 1), turn_record(refused, 2, 3)]
    exported = json.loads(conversation_json(turns))
    one, two = exported["turns"]
    assert (one["turn"], one["question"], one["answer"]) == (1, "대사는 누구?", "마체고라. [1]")
    assert one["citations"] == [
        {
            "number": 1, "doc_id": "corpus/a", "title": "제목", "source": "a.txt",
            "url": "https://x.kr/a", "published": "2025-01-01", "sentence": "청크 문장.",
            "start": 10, "end": 16, "chunk_id": "corpus/a#0", "score": 0.9,
        }
    ]  # fmt: skip
    assert two["refused"] is True and two["status"] == "refused" and two["citations"] == []
    assert "retrieved" not in one  # the export is the conversation, not the ranking
    assert "마체고라" in conversation_json(turns)  # Hangul kept as text, not \\u escapes
    assert json.loads(conversation_json(None))["turns"] == []
