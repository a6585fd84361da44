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
MAX_K = 1000  # passages per request; more is a mistake, not a wish


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

    def __post_init__(self) -> None:
        for name in ("k", "retrieve_k"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, not {value!r}")
            if not 1 <= value <= MAX_K:
                raise ValueError(f"{name} must be between 1 and {MAX_K}, not {value}")
        kinds = {"filters": Filters, "fusion": Fusion, "answerer": str}
        for name, kind in kinds.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise ValueError(f"{name} must be a {kind.__name__}, not {value!r}")


def parse_history(value: Any) -> list[tuple[str, str]]:
    """Earlier turns as (question, answer) pairs, from pairs or ``{"question", "answer"}`` dicts.

    Raises ``ValueError`` naming the turn that is neither.
    """
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(
            f"history must be a list of (question, answer) pairs, not {type(value).__name__}"
        )
    turns = []
    for n, turn in enumerate(value, start=1):
        if isinstance(turn, dict):
            turns.append((str(turn.get("question", "")), str(turn.get("answer", ""))))
        elif (
            isinstance(turn, list | tuple)
            and len(turn) == 2
            and all(isinstance(x, str) for x in turn)
        ):
            turns.append((turn[0], turn[1]))
        else:
            raise ValueError(
                f"history turn {n} must be a (question, answer) pair or a dict with "
                f"'question' and 'answer', not {type(turn).__name__}"
            )
    return turns
