"""HTML and Markdown for the browser app, kept apart from the event wiring in ``app.py``.

Everything an article says reaches the page through ``esc`` (or ``md_escape`` inside the
chat), so markup or script inside an article is shown as text and never rendered or run.
Turns are plain dicts (JSON-able, so they can live in ``gr.State``); see ``turn_record``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from assistant.indexing.ingest import IngestReport
    from assistant.text.messages import Messages
    from assistant.types import Answer

MARKER = re.compile(r"\[(\d+)\]")
# Characters Markdown (and Gradio's LaTeX/template handling) could act on.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$<>])")
SNIPPET_CHARS = 280


def esc(text: object) -> str:
    """HTML-escape, plus the characters a template engine could expand (``${…}``, ``{{…}}``)."""
    out = html.escape(str(text), quote=True)
    return out.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def md_escape(text: str) -> str:
    """Text shown verbatim by a Markdown renderer (Gradio's Chatbot) that also allows HTML."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False).replace("\n", "  \n"))


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are made clickable: a ``javascript:`` URL in an article is not."""
    if not url:
        return None
    return url if urlparse(url.strip()).scheme.lower() in {"http", "https"} else None


def anchor(turn: int, number: int) -> str:
    """The element id of citation ``number`` of answer ``turn`` in the sources panel."""
    return f"src-{turn}-{number}"


# --------------------------------------------------------------------------- chat


def answer_markdown(text: str, numbers: set[int], turn: int) -> str:
    """The answer for the Chatbot: article text escaped, each [n] a link to its source."""
    parts, last = [], 0
    for m in MARKER.finditer(text):
        number = int(m.group(1))
        if number not in numbers:
            continue
        parts.append(md_escape(text[last : m.start()]))
        parts.append(f"[\\[{number}\\]](#{anchor(turn, number)})")
        last = m.end()
    parts.append(md_escape(text[last:]))
    return "".join(parts)


def stream_prefixes(text: str, max_steps: int = 40) -> Iterator[str]:
    """Growing prefixes of ``text``, a few words at a time, ending with the whole text.

    The extractive answer exists in full at once; showing it progressively keeps the chat
    feeling the same as when an LLM streams tokens (issue 5).
    """
    words = re.findall(r"\S+\s*", text)
    if not words:
        yield text
        return
    step = max(1, -(-len(words) // max_steps))
    for end in range(step, len(words) + step, step):
        yield "".join(words[:end]).rstrip() if end < len(words) else text


# --------------------------------------------------------------------------- records


def turn_record(answer: Answer, turn: int, message_index: int) -> dict[str, Any]:
    """What the page keeps of one answer: enough to redraw its sources and to rate it."""
    citations = [asdict(c) for c in answer.citations]
    cited = {c["chunk_id"] for c in citations}
    retrieved = []
    for rank, doc in enumerate(answer.documents, start=1):
        m = doc.metadata
        retrieved.append(
            {
                "rank": rank,
                "title": m.get("title", ""),
                "source": m.get("source", ""),
                "url": m.get("url"),
                "published": m.get("published"),
                "chunk_id": m.get("chunk_id"),
                "score": m.get("score"),
                "bm25": m.get("bm25"),
                "dense": m.get("dense"),
                "cited": m.get("chunk_id") in cited,
                "text": doc.page_content,
            }
        )
    return {
        "turn": turn,
        "message_index": message_index,
        "question": answer.question,
        "answer": answer.text,
        "status": answer.status,
        "refused": answer.refused,
        "language": answer.language,
        "answerer": answer.answerer,
        "citations": citations,
        "retrieved": retrieved,
    }


def parse_history(text: str | None) -> list[tuple[str, str]]:
    """A JSON list of [question, answer] pairs or {"question", "answer"} objects."""
    try:
        turns = json.loads(text or "[]")
        pairs = []
        for turn in turns:
            q, a = (turn["question"], turn["answer"]) if isinstance(turn, dict) else turn
            pairs.append((str(q), str(a)))
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not a list of [question, answer] pairs: {exc}") from exc
    return pairs


def upload_summary(
    report: IngestReport | None, warnings: list[str], rejected: list[str], texts: Messages
) -> str:
    """What an upload did, as Markdown; file names and warnings are shown verbatim."""
    lines = []
    if report is not None:
        lines.append(
            texts.get(
                "upload_done",
                new=report.new,
                changed=report.changed,
                unchanged=report.unchanged,
                seconds=report.seconds,
            )
        )
    if warnings:
        lines.append(texts.get("upload_warnings"))
        lines.extend(f"- {md_escape(w)}" for w in warnings)
    if rejected:
        lines.append(md_escape(texts.get("upload_rejected", names=", ".join(rejected))))
    return "\n\n".join(lines) if lines else texts.get("upload_nothing")


# --------------------------------------------------------------------------- sources


def highlight(passage: str, sentence: str, start: int, end: int) -> str:
    """The passage escaped, with the cited sentence in <mark>.

    ``start``/``end`` are the sentence's offsets within ``passage``; if they do not point at
    the sentence (an edited store, an LLM citation), the sentence is searched for instead.
    """
    if not (0 <= start < end <= len(passage)) or passage[start:end].strip() != sentence.strip():
        found = passage.find(sentence) if sentence else -1
        if found < 0:
            return f"<mark>{esc(sentence)}</mark>" if sentence else esc(passage)
        start, end = found, found + len(sentence)
    return f"{esc(passage[:start])}<mark>{esc(passage[start:end])}</mark>{esc(passage[end:])}"


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
    """One citation in the sources panel: its title line and the passage, sentence highlighted."""
    offset = c.get("chunk_start", 0)
    passage = highlight(c["text"], c["sentence"], c["start"] - offset, c["end"] - offset)
    return (
        f'<li class="cite" id="{anchor(turn, c["number"])}">'
        f'<div class="cite-head"><span class="num">[{c["number"]}]</span> '
        f'<span class="title">{esc(c["title"])}</span></div>'
        f'<div class="meta">{_meta_line(c, texts)}</div>'
        f'<blockquote class="passage">{passage}</blockquote></li>'
    )


def sources_html(turns: list[dict[str, Any]], texts: Messages) -> str:
    """Every answer's sources, newest first and open; older answers folded.

    ``data-turn`` (the number of the latest complete answer) changes exactly when an
    answer is finished, which is also what the browser tests wait for.
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
    return f'<div data-turn="{turns[-1]["turn"] if turns else 0}">{"".join(blocks)}</div>'


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
