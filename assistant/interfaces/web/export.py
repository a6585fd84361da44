"""The conversation as a JSON file the browser downloads: questions, answers, citations.

The page keeps each answer's record (``render.turn_record``) in the session; the export
button writes them to a visually hidden textbox and a small script hands that text to
the browser as ``conversation.json``. No file is written on the server, so nothing has
to be served from the upload folder (which is never served).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

EXPORT_KEYS = ("turn", "question", "answer", "status", "refused", "language", "answerer")
CITATION_KEYS = (
    "number", "doc_id", "title", "source", "url", "published", "sentence", "start", "end",
    "chunk_id", "score",
)  # fmt: skip
DOWNLOAD_JS = """(text) => {
  if (!text) return;
  const blob = new Blob([text], {type: "application/json"});
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "conversation.json";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}"""


def conversation_json(turns: list[dict[str, Any]] | None) -> str:
    """The session's answered turns as an indented JSON document (UTF-8 text kept)."""
    records = []
    for turn in turns or []:
        record = {k: turn.get(k) for k in EXPORT_KEYS}
        record["citations"] = [
            {k: c.get(k) for k in CITATION_KEYS} for c in turn.get("citations", [])
        ]
        records.append(record)
    document = {"exported": datetime.now(UTC).isoformat(timespec="seconds"), "turns": records}
    return json.dumps(document, ensure_ascii=False, indent=2)
