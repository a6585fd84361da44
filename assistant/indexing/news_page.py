"""Scraped news pages: boilerplate clean-up and the split into main and related articles.

Scraped news pages carry a lot that is not the article: related-article teasers,
image captions, "AI에 의해 …" labels, cookie banners. Indexing them as part of the
article would let a teaser about another story answer for it, so a page becomes the
main article plus one article per related summary, and the boilerplate is dropped.
"""

from __future__ import annotations

import re

from assistant.text.korean import has_hangul
from assistant.types import Article

RELATED_HEADERS = frozenset({"관련 기사", "관련기사", "관련 뉴스", "관련뉴스", "함께 볼만한 뉴스"})
# Whole lines that are never article text.
BOILERPLATE_LINES = re.compile(
    r"^(거부|수락|동의|확인|닫기|모두 수락|모두 거부|accept|reject|close)$", re.IGNORECASE
)
# Labels that scrapers leave inside lines; removed wherever they stand.
BOILERPLATE_LABELS = re.compile(r"AI에 의해 (생성된 이미지|보고됨)")
COOKIE_BANNER = re.compile(
    r"쿠키를 사용합니다|쿠키를 사용|개인정보 보호 정책|cookie", re.IGNORECASE
)
BANNER_MAX_CHARS = 200  # a longer line that mentions cookies is text, not a banner
TITLE_MAX_CHARS = 120
HEADLINE_MAX_CHARS = 80


def clean_lines(text: str) -> list[str]:
    """Lines with boilerplate removed; blank strings keep paragraph breaks.

    In a Korean page, a line with no Hangul at all (an English caption, stray markup) is
    dropped too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    raw = [BOILERPLATE_LABELS.sub("", line).strip() for line in text.split("\n")]
    korean = has_hangul(text)
    out: list[str] = []
    for line in raw:
        banner = len(line) <= BANNER_MAX_CHARS and COOKIE_BANNER.search(line)
        if banner or BOILERPLATE_LINES.match(line):
            line = ""
        elif korean and line and not has_hangul(line):
            line = ""  # English image captions and stray markup in a Korean page
        out.append(re.sub(r"[ \t]+", " ", line))
    return out


def _blocks(lines: list[str]) -> list[str]:
    blocks, current = [], []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks


def _is_headline(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= HEADLINE_MAX_CHARS
        and not block.rstrip().endswith((".", "다", "?", "!", "…"))
    )


def split_news_page(
    text: str, base_id: str, source: str, *, title: str | None = None, url: str | None = None
) -> list[Article]:
    """The main article, then one article per related summary after a '관련 기사' line.

    :param base_id: id of the main article; related ones get ``{base_id}-r1``, ``-r2`` …
    :param source: the file the page came from, kept on every article.
    :param title: the page's title when known (HTML); else a short first block is taken.
    :param url: the page's address, kept on the main article.
    """
    lines = clean_lines(text)
    cut = next((i for i, line in enumerate(lines) if line in RELATED_HEADERS), len(lines))
    main_blocks = _blocks(lines[:cut])
    related_blocks = _blocks(lines[cut + 1 :])
    articles: list[Article] = []
    if main_blocks:
        if (title is None and _is_headline(main_blocks[0])) or (
            title is None and len(main_blocks[0]) <= TITLE_MAX_CHARS and len(main_blocks) > 1
        ):
            title = main_blocks.pop(0)
        body = "\n\n".join(main_blocks)
        head = title or first_sentence(body)
        full = f"{head}\n\n{body}" if title and body else (body or head)
        articles.append(Article(base_id, head, full, source, url=url, metadata={"kind": "main"}))
    headline: str | None = None
    n = 0
    for block in related_blocks:
        if _is_headline(block):
            headline = block
            continue
        n += 1
        head = headline or first_sentence(block)
        full = f"{headline}\n\n{block}" if headline else block
        articles.append(
            Article(
                f"{base_id}-r{n}",
                head,
                full,
                source,
                metadata={"kind": "related", "parent": base_id},
            )
        )
        headline = None
    return articles


def first_sentence(text: str, limit: int = 60) -> str:
    """The text's first sentence, cut to ``limit`` characters with '…': a stand-in title."""
    first = re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
