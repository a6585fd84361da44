"""Metadata filters: which sources and which published dates a search may return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.storage.store import day_number


@dataclass(frozen=True, slots=True)
class Filters:
    """Source files, and an inclusive published-date range; empty means no filter."""

    sources: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None

    def days(self) -> tuple[int | None, int | None]:
        """The date range as YYYYMMDD integers, as the index stores dates."""
        lo = day_number(self.published_from.isoformat()) if self.published_from else None
        hi = day_number(self.published_to.isoformat()) if self.published_to else None
        return lo, hi

    def chroma_where(self) -> dict[str, Any] | None:
        """The same filter as a Chroma ``where`` clause (None when there is nothing to filter)."""
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        lo, hi = self.days()
        if lo is not None:
            clauses.append({"published_day": {"$gte": lo}})
        if hi is not None:
            clauses.append({"published_day": {"$lte": hi}})
            clauses.append({"published_day": {"$gt": 0}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
