"""Articles → sentence-aligned chunks that fit a token budget.

Chunks are built from whole Korean sentences so that every citation can point at an
exact sentence, and each chunk and sentence keeps its character offsets in its article.
Tokens are counted with the encoding the caller passes (cl100k_base from
:func:`assistant.text.tokens.cl100k` in the assistant).
"""

from __future__ import annotations

import tiktoken

from assistant.indexing.blocks import blocks
from assistant.text import quotes
from assistant.text.korean import KoreanAnalyzer
from assistant.types import Article, Chunk, Span


class Chunker:
    """Packs sentences greedily up to ``max_tokens``, repeating ``overlap`` sentences.

    :param analyzer: splits the article into sentences.
    :param encoding: counts tokens (the embedding model's own tokenizer is not needed:
        the budget only has to keep chunks well under its 512-token window).
    :param max_tokens: budget of a chunk; a longer sentence is cut at spaces to fit.
    :param overlap: sentences repeated at the start of the next chunk.
    """

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
        """Tokens in ``text``; special-token markup counts as plain text."""
        return len(self.encoding.encode(text, disallowed_special=()))

    def split(self, article: Article) -> list[Chunk]:
        """The article's chunks, in order, with exact character offsets and sentence spans.

        Sentences are found block by block (``indexing.blocks``), so a text of one endless
        line takes seconds, not minutes.
        """
        text = article.text
        spans = [p for s in self.sentences(text) for p in self._fit(text, s)]
        return self.pack(article, spans, [self.count(text[s.start : s.end]) for s in spans])

    def sentences(self, text: str) -> list[Span]:
        """Sentence spans of ``text``, analysed in blocks of at most ``MAX_BLOCK_CHARS``."""
        return [
            Span(start + s.start, start + s.end)
            for start, end in blocks(text)
            for s in self.analyzer.sentences(text[start:end])
        ]

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
        """Cut a sentence longer than the budget at spaces, so no text is lost to truncation;
        a space outside quotes and brackets is taken when the window has one."""
        if self.count(text[span.start : span.end]) <= self.max_tokens:
            return [span]
        regions = [
            Span(span.start + r.start, span.start + r.end)
            for r in quotes.protected(text[span.start : span.end], self.analyzer.max_quote_chars)
        ]
        pieces, start = [], span.start
        while start < span.end:
            end = span.end
            while self.count(text[start:end]) > self.max_tokens and end - start > 1:
                limit = start + (end - start) * 3 // 4
                cut = _space_outside(text, start + 1, limit, regions)
                end = cut if cut > start else start + (end - start) * 3 // 4
            pieces.append(Span(start, end))
            start = end
            while start < span.end and text[start].isspace():
                start += 1
        return pieces


def _space_outside(text: str, lo: int, hi: int, regions: list[Span]) -> int:
    """The last space in ``text[lo:hi]`` outside every region, else the last space, else -1."""
    cut = text.rfind(" ", lo, hi)
    first = cut
    while cut > 0 and quotes.inside(regions, cut + 1):
        cut = text.rfind(" ", lo, cut)
    return cut if cut > 0 else first
