"""An HTML page → its title, article text and canonical address.

Navigation, scripts, forms, footers and figure captions are dropped; the text is taken
from ``<article>`` (else ``<body>``) paragraph by paragraph, so the news-page clean-up
sees one paragraph per line block.
"""

from __future__ import annotations

from bs4 import BeautifulSoup


def html_text(html: str) -> tuple[str | None, str, str | None]:
    """(title, body, url) of a page; title and url are None when the page has none.

    The title is the first ``<h1>`` (removed from the body), else ``<title>``; the url is
    ``<link rel=canonical>`` or ``og:url``; paragraphs are separated by blank lines.
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "header", "form", "aside"]):
        tag.decompose()
    for fig in soup.find_all("figcaption"):
        fig.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    if title_tag is not None and title_tag.name == "h1":
        title_tag.decompose()
    canonical = soup.find("link", rel="canonical") or soup.find("meta", property="og:url")
    url = None
    if canonical is not None:
        url = canonical.get("href") or canonical.get("content")
    root = soup.find("article") or soup.body or soup
    blocks = [el.get_text(" ", strip=True) for el in root.find_all(["p", "h2", "h3", "li"])]
    body = "\n\n".join(b for b in blocks if b) or root.get_text("\n", strip=True)
    return title, body, str(url) if url else None
