"""Hand-drawn SVG charts for the HTML report: recall@k, latency per turn, metrics per tag.

Plain SVG strings with no scripts, fonts or libraries, so the page stays one self-contained
file that renders offline. Each chart takes the report's data (metrics, result dicts,
per-tag metrics) and returns one ``<svg>`` element; all text in it is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from typing import Any

from assistant.evaluation.summary import largest_tags

PALETTE = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626")
W, H = 340, 230
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 30, 46


def _svg(title: str, body: str, width: int = W) -> str:
    """A titled ``<svg>`` of height ``H`` around ``body``."""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{H}' "
        f"viewBox='0 0 {width} {H}' role='img' aria-label='{escape(title)}' "
        "font-family='system-ui,sans-serif' font-size='11'>"
        f"<text x='{width / 2}' y='16' text-anchor='middle' font-size='13' "
        f"font-weight='600'>{escape(title)}</text>{body}</svg>"
    )


def _y_axis(ymax: float, width: int, fmt_tick: Callable[[float], str], ticks: int = 5) -> str:
    """Horizontal gridlines from 0 to ``ymax`` with their labels."""
    out = []
    plot_h = H - TOP - BOTTOM
    for i in range(ticks + 1):
        value = ymax * i / ticks
        y = H - BOTTOM - plot_h * i / ticks
        out.append(
            f"<line x1='{LEFT}' x2='{width - RIGHT}' y1='{y:.1f}' y2='{y:.1f}' "
            "stroke='#e5e7eb'/>"
            f"<text x='{LEFT - 4}' y='{y + 4:.1f}' text-anchor='end' fill='#6b7280'>"
            f"{fmt_tick(value)}</text>"
        )
    return "".join(out)


def _legend_items(items: list[tuple[str, str]], width: int) -> str:
    """Coloured squares with labels along the bottom edge."""
    out, x = [], LEFT
    for label, colour in items:
        out.append(
            f"<rect x='{x}' y='{H - 14}' width='10' height='10' fill='{colour}'/>"
            f"<text x='{x + 14}' y='{H - 5}'>{escape(label)}</text>"
        )
        x += 20 + 7 * len(label)
    return "".join(out)


def recall_curve(metrics: dict[str, float], ks: list[int]) -> str:
    """recall@k and hit@k against k (x spaced evenly: the ks are few and uneven)."""
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    body = [_y_axis(1.0, W, lambda v: f"{v:.1f}")]
    n = len(ks)

    def x_of(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n)

    for i, k in enumerate(ks):
        body.append(
            f"<text x='{x_of(i):.1f}' y='{H - BOTTOM + 14}' text-anchor='middle' "
            f"fill='#6b7280'>k={k}</text>"
        )
    # recall under hit (wider, solid), so equal curves still show both.
    for (prefix, colour), dash, stroke in zip(
        (("recall", PALETTE[0]), ("hit", PALETTE[1])), ("", "5 4"), (4, 2), strict=True
    ):
        points = [
            (x_of(i), H - BOTTOM - plot_h * v)
            for i, k in enumerate(ks)
            if not math.isnan(v := metrics.get(f"{prefix}@{k}", math.nan))
        ]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='{stroke}' "
            f"stroke-dasharray='{dash}'/>"
        )
        for (x, y), k in zip(points, ks, strict=False):
            value = metrics.get(f"{prefix}@{k}", math.nan)
            body.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{colour}'/>")
            if prefix == "recall":
                ty = y - 8 if y - 8 > TOP + 12 else y + 16  # keep clear of the title
                body.append(
                    f"<text x='{x:.1f}' y='{ty:.1f}' text-anchor='middle'>{value:.2f}</text>"
                )
    body.append(_legend_items([("recall@k", PALETTE[0]), ("hit@k", PALETTE[1])], W))
    return _svg("Retrieval recall@k", "".join(body))


def _nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is at least ``raw``."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= raw:
                return m * magnitude
        magnitude *= 10


def latency_histogram(results: list[dict[str, Any]]) -> str:
    """Per-turn latency, retrieve and answer stacked per bin of total time."""
    totals = [r["retrieve_ms"] + r["answer_ms"] for r in results]
    if not totals:
        return _svg("Latency per turn", "<text x='50%' y='50%'>no data</text>")
    bins = 12
    top = max(totals) or 1.0
    width = top / bins
    counts = [[0, 0.0, 0.0] for _ in range(bins)]  # n, retrieve share sum, answer share sum
    for r, t in zip(results, totals, strict=True):
        b = min(int(t / width), bins - 1)
        counts[b][0] += 1
        counts[b][1] += r["retrieve_ms"] / t if t else 0.5
        counts[b][2] += r["answer_ms"] / t if t else 0.5
    peak = max(c[0] for c in counts)
    step = _nice_step(peak / 5)  # gridlines at 1/2/5 × 10^n
    ticks = max(math.ceil(peak / step), 1)
    ymax = step * ticks
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    body = [_y_axis(ymax, W, lambda v: f"{v:.0f}", ticks=ticks)]
    bw = plot_w / bins
    for i, (n, rs, _as) in enumerate(counts):
        if not n:
            continue
        h = plot_h * n / ymax
        h_ret = h * rs / n
        x = LEFT + i * bw + 1
        y = H - BOTTOM - h
        body.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{bw - 2:.1f}' height='{h - h_ret:.1f}' "
            f"fill='{PALETTE[2]}'><title>{n} turns</title></rect>"
            f"<rect x='{x:.1f}' y='{y + h - h_ret:.1f}' width='{bw - 2:.1f}' "
            f"height='{h_ret:.1f}' fill='{PALETTE[0]}'/>"
        )
    for i in range(0, bins + 1, 3):
        x = LEFT + i * bw
        anchor = "end" if i == bins else "middle"
        body.append(
            f"<text x='{x:.1f}' y='{H - BOTTOM + 14}' text-anchor='{anchor}' fill='#6b7280'>"
            f"{width * i:.0f}</text>"
        )
    body.append(
        f"<text x='{W - RIGHT}' y='{H - 5}' text-anchor='end' fill='#6b7280'>total ms</text>"
    )
    body.append(_legend_items([("retrieve", PALETTE[0]), ("answer", PALETTE[2])], W))
    return _svg("Latency per turn (count by total ms)", "".join(body))


def tag_bars(per_tag: dict[str, dict[str, float]], ks: list[int]) -> str:
    """recall@k, answer-contains-gold and refusal recall per tag, the ten largest tags."""
    k = max(ks)
    series = [
        (f"recall@{k}", PALETTE[0]),
        ("answer_contains_gold", PALETTE[1]),
        ("refusal_recall", PALETTE[3]),
    ]
    tags = largest_tags(per_tag, 10)
    width = max(W, LEFT + RIGHT + 96 * len(tags))
    plot_w, plot_h = width - LEFT - RIGHT, H - TOP - BOTTOM
    body = [_y_axis(1.0, width, lambda v: f"{v:.1f}")]
    group = plot_w / max(len(tags), 1)
    bw = (group - 10) / len(series)
    for i, tag in enumerate(tags):
        x0 = LEFT + i * group + 5
        for j, (name, colour) in enumerate(series):
            v = per_tag[tag].get(name, math.nan)
            if math.isnan(v):
                continue
            h = max(plot_h * v, 1.5)  # a zero still shows as a sliver, unlike "no data"
            body.append(
                f"<rect x='{x0 + j * bw:.1f}' y='{H - BOTTOM - h:.1f}' width='{bw - 1:.1f}' "
                f"height='{h:.1f}' fill='{colour}'><title>{escape(tag)} {name} "
                f"{v:.3f}</title></rect>"
            )
        label = tag if len(tag) <= 13 else tag[:12] + "…"
        cx = x0 + (group - 10) / 2
        body.append(
            f"<text x='{cx:.1f}' y='{H - BOTTOM + 13}' text-anchor='middle'>{escape(label)}"
            f"</text><text x='{cx:.1f}' y='{H - BOTTOM + 25}' text-anchor='middle' "
            f"fill='#6b7280'>n={per_tag[tag]['questions']:.0f}</text>"
        )
    body.append(_legend_items([(n, c) for n, c in series], width))
    title = "Per tag" if len(tags) == len(per_tag) else f"Per tag ({len(tags)} largest)"
    return _svg(title, "".join(body), width)


def refusal_points(
    results: list[dict[str, Any]], steps: int = 20
) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) of refusing the unanswerable turns by their relevance.

    A turn is refused at threshold t when its relevance is below t (no relevance, e.g. an
    empty ranking: always refused). Empty when the turns carry no relevance or no
    unanswerable turn is among them.
    """
    turns = [(r.get("relevance"), bool(r.get("answers"))) for r in results]
    if not any(v is not None for v, _ in turns) or all(a for _, a in turns):
        return []
    unanswerable = sum(not a for _, a in turns)
    points = []
    for i in range(steps + 1):
        t = i / steps
        refused = [a for v, a in turns if v is None or v < t]
        hits = sum(not a for a in refused)
        precision = hits / len(refused) if refused else 1.0
        points.append((t, precision, hits / unanswerable))
    return points


def refusal_curve(results: list[dict[str, Any]], threshold: float | None = None) -> str:
    """Refusal precision and unanswerable recall against the relevance threshold."""
    points = refusal_points(results)
    if not points:
        return _svg("Refusals by threshold", "<text x='50%' y='50%'>no data</text>")
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    body = [_y_axis(1.0, W, lambda v: f"{v:.1f}")]

    def xy(t: float, v: float) -> str:
        return f"{LEFT + plot_w * t:.1f},{H - BOTTOM - plot_h * v:.1f}"

    for col, colour, dash in ((1, PALETTE[0], ""), (2, PALETTE[2], "5 4")):
        path = " ".join(xy(p[0], p[col]) for p in points)
        body.append(
            f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2' "
            f"stroke-dasharray='{dash}'/>"
        )
    for t in (0.0, 0.5, 1.0):
        body.append(
            f"<text x='{LEFT + plot_w * t:.1f}' y='{H - BOTTOM + 14}' text-anchor='middle' "
            f"fill='#6b7280'>{t:.1f}</text>"
        )
    if threshold is not None and 0.0 <= threshold <= 1.0:
        x = LEFT + plot_w * threshold
        body.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{TOP}' y2='{H - BOTTOM}' stroke='#6b7280' "
            f"stroke-dasharray='2 3'><title>threshold {threshold:.3f}</title></line>"
        )
    legend = [("refusal precision", PALETTE[0]), ("unanswerable recall", PALETTE[2])]
    body.append(_legend_items(legend, W))
    return _svg("Refusals by relevance threshold", "".join(body))
