"""The Korean BM25 index (bm25s over kiwipiepy content morphemes), persisted on disk.

It is rebuilt from the catalog's cached morphemes, never by re-analysing text, so a
rebuild after an incremental ingest takes seconds even for large corpora. The saved
index carries the catalog generation it was built from; a mismatch means an ingest was
interrupted after Chroma and the catalog were updated, and the index is rebuilt.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from assistant.atomic import replace_dir


@dataclass(frozen=True, slots=True)
class LexicalRows:
    """Per-chunk columns the index needs for search and filtering, aligned by position."""

    chunk_ids: list[str]
    terms: list[list[str]]
    sources: list[str]
    days: list[int]  # published date as YYYYMMDD, 0 when unknown


class LexicalIndex:
    """BM25 scores over chunk morphemes, with per-chunk source and day for filtering.

    ``generation`` is the catalog generation it was built from and ``params`` its
    (k1, b); the store rebuilds an index whose either differs from the current ones.
    Sources are kept as one small integer per chunk into ``source_names`` (a million
    chunks come from a few thousand files), and document frequencies are read off the
    BM25 matrix rather than counted and stored a second time.
    """

    def __init__(
        self,
        bm25: bm25s.BM25 | None,
        chunk_ids: list[str],
        source_names: list[str],
        source_codes: np.ndarray,
        days: np.ndarray,
        generation: int,
        params: tuple[float, float],
    ) -> None:
        self._bm25 = bm25
        self.params = params  # (k1, b): a saved index built with others is rebuilt
        self.chunk_ids = chunk_ids
        self.source_names = source_names
        self.source_codes = source_codes
        self.days = days
        self.df = _document_frequencies(bm25)
        self.generation = generation
        self._code = {name: i for i, name in enumerate(source_names)}

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @property
    def sources(self) -> np.ndarray:
        """Each chunk's source file name (built on demand; ``mask`` uses the codes)."""
        return np.array(self.source_names, dtype=object)[self.source_codes]

    @classmethod
    def build(cls, rows: LexicalRows, generation: int, k1: float, b: float) -> LexicalIndex:
        """Index ``rows`` (an empty corpus gives an index that finds nothing).

        :param generation: the catalog generation the rows were read at.
        :param k1: BM25 term-frequency saturation.
        :param b: BM25 length normalisation.
        """
        bm25 = None
        if rows.chunk_ids:
            bm25 = bm25s.BM25(k1=k1, b=b)
            bm25.index([t or [""] for t in rows.terms], show_progress=False)
        names: dict[str, int] = {}
        codes = np.fromiter(
            (names.setdefault(s, len(names)) for s in rows.sources),
            dtype=np.int32,
            count=len(rows.sources),
        )
        return cls(
            bm25,
            rows.chunk_ids,
            list(names),
            codes,
            np.array(rows.days, dtype=np.int64),
            generation,
            (k1, b),
        )

    def save(self, folder: Path) -> None:
        """Write to a sibling folder and swap it in, so a crash never leaves half an index."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(tmp / "bm25", show_progress=False)
        meta = {
            "generation": self.generation,
            "chunk_ids": self.chunk_ids,
            "source_names": self.source_names,
            "source_codes": self.source_codes.tolist(),
            "days": self.days.tolist(),
            "params": list(self.params),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        replace_dir(tmp, folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The index saved in ``folder``, or None if it is missing, damaged or not
        ``whole`` (the caller then rebuilds it from the catalog). An index saved with one
        source name per chunk (before codes) is read as well."""
        meta_path = folder / "meta.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            params = (float(meta["params"][0]), float(meta["params"][1]))
            bm25 = None
            if meta["chunk_ids"]:
                # memory-mapped: a question touches the columns of its few terms only,
                # so the matrix (300 MB at a million chunks) mostly stays on disk
                bm25 = bm25s.BM25.load(folder / "bm25", mmap=True, show_progress=False, verbosity=0)
            if "source_codes" in meta:
                names = [str(n) for n in meta["source_names"]]
                codes = np.array(meta["source_codes"], dtype=np.int32)
                if codes.size and not 0 <= int(codes.min()) <= int(codes.max()) < len(names):
                    return None
            else:  # saved before sources had codes
                code: dict[str, int] = {}
                codes = np.array(
                    [code.setdefault(s, len(code)) for s in meta["sources"]], dtype=np.int32
                )
                names = list(code)
            index = cls(
                bm25,
                list(meta["chunk_ids"]),
                names,
                codes,
                np.array(meta["days"], dtype=np.int64),
                int(meta["generation"]),
                params,
            )
        except Exception:  # any damage means: rebuild from the catalog
            return None
        return index if index.whole() else None

    def whole(self) -> bool:
        """Whether the parts agree: one id, source and day per scored chunk, ids unique.
        A ``meta.json`` cut short or swapped with another index's scores fails this."""
        n = len(self.chunk_ids)
        scored = 0 if self._bm25 is None else int(self._bm25.scores["num_docs"])
        same = len(self.source_codes) == len(self.days) == scored == n
        return same and len(set(self.chunk_ids)) == n

    def _idf(self, df: int) -> float:
        n = len(self.chunk_ids)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """BM25 idf; a term the corpus never uses gets the largest possible weight."""
        return self._idf(self.df.get(term, 0))

    def mask(
        self,
        sources: list[str] | None = None,
        day_from: int | None = None,
        day_to: int | None = None,
    ) -> np.ndarray | None:
        """Which chunks pass the filters (None: no filter, all pass). ``day_to`` also
        excludes chunks with an unknown date; days are YYYYMMDD integers."""
        if not sources and day_from is None and day_to is None:
            return None
        keep = np.ones(len(self.chunk_ids), dtype=bool)
        if sources:
            wanted = [self._code[s] for s in sources if s in self._code]
            keep &= np.isin(self.source_codes, np.array(wanted, dtype=np.int32))
        if day_from is not None:
            keep &= self.days >= day_from
        if day_to is not None:
            keep &= (self.days <= day_to) & (self.days > 0)
        return keep

    def search(
        self, terms: list[str], k: int, mask: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, score) with score > 0."""
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _document_frequencies(bm25: bm25s.BM25 | None) -> dict[str, int]:
    """term → how many chunks have it: the length of the term's column in bm25s's sparse
    (CSC) score matrix. The placeholder ``""`` that stands for a chunk without terms, and
    the one bm25s appends without a column, are left out."""
    if bm25 is None:
        return {}
    indptr = np.asarray(bm25.scores["indptr"])
    counts = np.diff(indptr)
    return {
        term: int(counts[i])
        for term, i in bm25.vocab_dict.items()
        if term != "" and i < len(counts) and counts[i] > 0
    }
