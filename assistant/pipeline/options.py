"""What one question brings besides its text: the conversation so far and per-request options.

Options travel with the request, so the browser's per-session settings, an evaluation's
deeper ranking or an API client's answerer choice never require a copied ``Assistant``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.retrieval.filters import Filters
from assistant.retrieval.fusion import Fusion

History = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class AskOptions:
    """Per-request choices; ``None`` means the Assistant's configured default.

    :param k: passages the answerer reads.
    :param filters: sources and published-date range.
    :param fusion: BM25/dense weights for this request.
    :param answerer: the answerer's name ("extractive", "llamacpp", …).
    :param retrieve_k: rank this many passages (evaluation); the answerer still reads ``k``.
    """

    k: int | None = None
    filters: Filters | None = None
    fusion: Fusion | None = None
    answerer: str | None = None
    retrieve_k: int | None = None


def parse_history(value: Any) -> list[tuple[str, str]]:
    """Earlier turns as (question, answer) pairs, from pairs or ``{"question", "answer"}`` dicts.

    Raises ``ValueError`` naming the turn that is neither.
    """
    turns = []
    for n, turn in enumerate(value or [], start=1):
        if isinstance(turn, dict):
            turns.append((str(turn.get("question", "")), str(turn.get("answer", ""))))
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            turns.append((str(turn[0]), str(turn[1])))
        else:
            raise ValueError(
                f"history turn {n} must be a (question, answer) pair or a dict with "
                f"'question' and 'answer', not {type(turn).__name__}"
            )
    return turns
