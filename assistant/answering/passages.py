"""A retrieved passage's sentences: their text, which one is the article's headline (never
quoted as an answer), and which hold a span the reader found."""

from __future__ import annotations

from langchain_core.documents import Document

from assistant.types import Span


def is_title(doc: Document, span: Span) -> bool:
    """Whether the sentence at ``span`` is the article's headline: its title, on a line of
    its own at the start of the text. (A record without a headline gets its first sentence
    as a stand-in title; that sentence runs on into the body and stays quotable.)"""
    title = " ".join(str(doc.metadata.get("title") or "").split())
    if not title or span.start != 0 or doc.metadata["start"] != 0:
        return False
    after = doc.page_content[span.end : span.end + 1]
    return after in ("", "\n", "\r") and " ".join(sentence_text(doc, span).split()) == title


def sentence_text(doc: Document, span: Span) -> str:
    """The text of the sentence at document offsets ``span`` of ``doc``'s chunk."""
    base = doc.metadata["start"]
    return doc.page_content[span.start - base : span.end - base]


def sentence_around(doc: Document, lo: int, hi: int) -> Span:
    """The passage's sentence(s) holding document offsets lo..hi (a span that crosses a
    sentence boundary gets both); the span itself when no sentence is recorded."""
    held = [Span(s, e) for s, e in doc.metadata["sentences"] if s < hi and lo < e]
    if not held:
        return Span(lo, hi)
    return Span(min(s.start for s in held), max(s.end for s in held))
