"""The sources and retrieved panels: HTML for each answer's citations and passages.

Every article field goes through ``render.esc``; the cited sentence is in a <mark>, and
the answer's short answer (``Citation.highlight``) in a nested ``<mark class="short">``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.interfaces.web.render import SHORT_MARK, anchor, esc, safe_url

if TYPE_CHECKING:
    from assistant.text.messages import Messages

SNIPPET_CHARS = 280


def highlight(
    passage: str, sentence: str, start: int, end: int, short: Sequence[int] | None = None
) -> str:
    """The passage escaped, with the cited sentence in <mark>.

    ``start``/``end`` are the sentence's offsets within ``passage``; if they do not point at
    the sentence (an edited store, an LLM citation), the sentence is searched for instead.
    ``short`` is the short answer as offsets within the sentence (None: none); it is marked
    inside the sentence's mark when it lies within the sentence.
    """
    if not (0 <= start < end <= len(passage)) or passage[start:end].strip() != sentence.strip():
        found = passage.find(sentence) if sentence else -1
        if found < 0:
            return f"<mark>{_with_short(sentence, short)}</mark>" if sentence else esc(passage)
        start, end = found, found + len(sentence)
    inner = _with_short(passage[start:end], short)
    return f"{esc(passage[:start])}<mark>{inner}</mark>{esc(passage[end:])}"


def _with_short(sentence: str, short: Sequence[int] | None) -> str:
    """The sentence escaped, ``sentence[a:b]`` in the short-answer mark if that is a span."""
    if not short or len(short) != 2:
        return esc(sentence)
    a, b = (int(x) for x in short)
    if not (0 <= a < b <= len(sentence)) or not sentence[a:b].strip():
        return esc(sentence)
    return esc(sentence[:a]) + SHORT_MARK.format(esc(sentence[a:b])) + esc(sentence[b:])


def _meta_line(item: dict[str, Any], texts: Messages) -> str:
    bits = []
    url = safe_url(item.get("url"))
    if url:
        bits.append(
            f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
        )
    if item.get("source"):
        bits.append(f'<span class="file">{esc(item["source"])}</span>')
    if item.get("published"):
        bits.append(f"{esc(texts.get('published'))} {esc(item['published'])}")
    return " · ".join(bits)


def citation_html(c: dict[str, Any], turn: int, texts: Messages) -> str:
    """One citation in the sources panel: its title line and the passage, sentence highlighted.

    ``c["highlight"]`` (document offsets of the short answer, or None) is marked within the
    sentence.
    """
    offset = c.get("chunk_start", 0)
    span = c.get("highlight")
    short = (span[0] - c["start"], span[1] - c["start"]) if span and len(span) == 2 else None
    start, end = c["start"] - offset, c["end"] - offset
    passage = highlight(c["text"], c["sentence"], start, end, short)
    return (
        f'<li class="cite" id="{anchor(turn, c["number"])}">'
        f'<div class="cite-head"><span class="num">[{c["number"]}]</span> '
        f'<span class="title">{esc(c["title"])}</span></div>'
        f'<div class="meta">{_meta_line(c, texts)}</div>'
        f'<blockquote class="passage">{passage}</blockquote></li>'
    )


def sources_html(turns: list[dict[str, Any]], texts: Messages) -> str:
    """Every answer's sources, newest first and open; older answers folded.

    The list scrolls within a bounded height (``.sources-list`` in ``PANEL_CSS``), so the
    panels beneath it stay in place. ``data-turn`` (the number of the latest complete
    answer) changes exactly when an answer is finished, which the browser tests wait for.
    """
    shown = [t for t in reversed(turns) if t["citations"]]
    blocks = []
    for i, t in enumerate(shown):
        items = "".join(citation_html(c, t["turn"], texts) for c in t["citations"])
        blocks.append(
            f'<details class="turn" id="turn-{t["turn"]}"{" open" if i == 0 else ""}>'
            f'<summary>{esc(t["question"])}</summary><ol class="cites">{items}</ol></details>'
        )
    if not shown:
        key = "sources_none" if turns else "sources_empty"
        blocks.append(f'<p class="empty">{esc(texts.get(key))}</p>')
    latest = turns[-1]["turn"] if turns else 0
    return f'<div class="sources-list" data-turn="{latest}">{"".join(blocks)}</div>'


def retrieved_html(turn: dict[str, Any] | None, texts: Messages) -> str:
    """The passages the latest answer was chosen from, with fused and per-retriever scores."""
    if not turn or not turn["retrieved"]:
        return f'<p class="empty">{esc(texts.get("retrieved_empty"))}</p>'
    head = "".join(
        f"<th>{esc(texts.get(k))}</th>"
        for k in ("retrieved_rank", "retrieved_passage", "retrieved_score")
    ) + "".join(f"<th>{esc(texts.get(k))}</th>" for k in ("retrieved_bm25", "retrieved_dense"))
    rows = []
    for r in turn["retrieved"]:
        text = r["text"]
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rstrip() + "…"
        cited = (
            f' <span class="badge">{esc(texts.get("retrieved_cited"))}</span>' if r["cited"] else ""
        )
        rows.append(
            f'<tr class="{"cited" if r["cited"] else ""}"><td>{r["rank"]}</td>'
            f'<td><div class="title">{esc(r["title"])}{cited}</div>'
            f'<div class="meta">{_meta_line(r, texts)}</div>'
            f'<div class="snippet">{esc(snippet)}</div></td>'
            f"<td>{_num(r['score'])}</td><td>{_num(r['bm25'])}</td><td>{_num(r['dense'])}</td></tr>"
        )
    body = "".join(rows)
    return f'<table class="retrieved"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _num(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "–"


# Styles for the two HTML panels (scoped by Gradio to each component).
PANEL_CSS = """
.empty { color: var(--body-text-color-subdued); }
.sources-list { max-height: 460px; overflow-y: auto; overscroll-behavior: contain;
                padding-right: .25rem; }
.turn { margin: 0 0 .75rem; }
.turn > summary { font-weight: 600; cursor: pointer; padding: .25rem 0; }
.cites { padding: 0; margin: .25rem 0 0; }
.cite { list-style: none; border: 1px solid var(--border-color-primary); border-radius: 8px;
        padding: .5rem .75rem; margin: .5rem 0; transition: box-shadow .3s; }
.cite.flash { box-shadow: 0 0 0 3px var(--color-accent); }
.num { font-weight: 700; color: var(--color-accent); }
.title { font-weight: 600; }
.meta { font-size: .85em; color: var(--body-text-color-subdued); margin: .15rem 0;
        overflow-wrap: anywhere; }
.passage { margin: .4rem 0 0; padding: 0 0 0 .6rem; border-left: 3px solid
           var(--border-color-primary); line-height: 1.65; white-space: pre-wrap; }
mark { background: #fde68a; color: #111; padding: 0 .1em; border-radius: 2px; }
mark.short { background: #f59e0b; font-weight: 700; padding: 0 .15em; }
.retrieved { width: 100%; border-collapse: collapse; font-size: .9em; }
.retrieved th { white-space: nowrap; }
.retrieved th, .retrieved td { border-bottom: 1px solid var(--border-color-primary);
        padding: .35rem .4rem; vertical-align: top; text-align: left; }
.retrieved td:nth-child(n+3) { font-variant-numeric: tabular-nums; white-space: nowrap; }
.retrieved tr.cited td:first-child { border-left: 3px solid var(--color-accent); }
.badge { font-size: .75em; font-weight: 600; color: var(--color-accent); margin-left: .3rem; }
.snippet { color: var(--body-text-color); line-height: 1.5; margin-top: .2rem; }
"""

# A click on a [n] link in the chat opens that answer's sources and scrolls to entry n.
# Installed once per page, in the capture phase, so the chat's own link handling (which
# would open a new tab) never sees these in-page links.
CITE_LINK_JS = """
if (!window.__newsCiteLinks) {
  window.__newsCiteLinks = true;
  document.addEventListener('click', (ev) => {
    const link = ev.target.closest ? ev.target.closest('a[href*="#src-"]') : null;
    if (!link) return;
    const id = link.getAttribute('href').split('#').pop();
    const entry = document.getElementById(id);
    ev.preventDefault();
    ev.stopPropagation();
    if (!entry) return;
    const folded = entry.closest('details');
    if (folded) folded.open = true;
    entry.scrollIntoView({behavior: 'smooth', block: 'center'});
    entry.classList.add('flash');
    setTimeout(() => entry.classList.remove('flash'), 1800);
  }, true);
}
"""
