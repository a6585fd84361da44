"""A self-contained HTML page for an evaluation report.

Everything is inline (CSS, and the SVG charts of ``evaluation.charts``; no scripts, fonts or
images from anywhere) because the assistant runs offline and reports get mailed around as one file.
It renders from the JSON dict (``EvalReport.to_dict()``), so a saved report can be
rendered again later.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from assistant.evaluation.charts import (
    latency_histogram,
    recall_curve,
    refusal_curve,
    refusal_points,
    tag_bars,
)
from assistant.evaluation.summary import LEGEND, SECTIONS, fmt, tag_columns, worst_failures

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","Malgun Gothic",sans-serif;
margin:24px auto;max-width:1120px;color:#1f2937;padding:0 16px;line-height:1.45}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.15rem;margin:28px 0 8px;
border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#6b7280;font-size:.85rem}.banner{background:#fef3c7;border:1px solid #f59e0b;
padding:8px 12px;border-radius:6px;margin:12px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:120px}
.card .v{font-size:1.35rem;font-weight:600}.card .n{color:#6b7280;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:6px 0}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
.legend{color:#6b7280;font-size:.8rem}.charts{display:flex;flex-wrap:wrap;gap:18px}
.chart{border:1px solid #e5e7eb;border-radius:8px;padding:6px}
.ok{color:#15803d}.bad{color:#b91c1c}.dim{color:#9ca3af}
details{margin:6px 0}summary{cursor:pointer;color:#374151}
pre{background:#f9fafb;padding:8px;font-size:.75rem;overflow:auto}
"""


def render_html(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    """The whole page: headline cards, charts, all metrics, per-tag table, worst failures,
    every turn and the settings; all report text is HTML-escaped.

    :param report: a report dict (``EvalReport.to_dict()`` or a saved ``--json`` file).
    :param comparison: ``evaluation.compare.compare``'s result, shown when given.
    """
    metrics, ks = report["metrics"], report["ks"]
    parts = [
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Evaluation report — {escape(report.get('source', ''))}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Evaluation report</h1>",
        _meta(report),
    ]
    if report.get("partial"):
        parts.append(
            f"<div class='banner'><b>Partial run:</b> interrupted after {report['cases_done']}"
            f" of {report['cases_planned']} cases; the figures cover finished cases only.</div>"
        )
    parts.append(_cards(metrics, ks))
    parts.append("<h2>Charts</h2><div class='charts'>")
    parts.append(_chart(recall_curve(metrics, ks)))
    parts.append(_chart(latency_histogram(report["results"])))
    if report.get("per_tag"):
        parts.append(_chart(tag_bars(report["per_tag"], ks)))
    if refusal_points(report["results"]):  # turns with a relevance and some unanswerable
        threshold = (report.get("settings") or {}).get("answer_threshold")
        parts.append(_chart(refusal_curve(report["results"], threshold)))
    parts.append("</div>")
    parts.append(_metrics_table(metrics))
    parts.append(_judge(report))
    if comparison:
        parts.append(_comparison(comparison))
    if report.get("per_tag"):
        parts.append(_tag_table(report["per_tag"], ks))
    parts.append(_failures(report["results"], ks))
    parts.append(_all_cases(report["results"]))
    parts.append(_settings(report))
    parts.append("</body></html>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- sections


def _meta(report: dict[str, Any]) -> str:
    s = report.get("settings", {})
    bits = [
        f"cases: <b>{escape(report.get('source', ''))}</b>",
        f"run at {escape(report.get('timestamp', ''))} ({report.get('seconds', 0):.0f} s)",
        f"model {escape(str(s.get('embedding_model', '?')))}",
        f"answerer {escape(str(s.get('answerer', '?')))}",
        f"fusion {escape(str(s.get('fusion', '?')))}",
        f"k={escape(str(s.get('k', '?')))}",
        f"code {escape(str(report.get('code_version', '?')))}",
    ]
    return f"<div class='meta'>{' · '.join(bits)}</div>"


def _cards(metrics: dict[str, float], ks: list[int]) -> str:
    k = max(ks)
    names = [
        ("questions", "questions"),
        (f"recall@{k}", f"recall@{k}"),
        ("mrr@10", "MRR@10"),
        ("ndcg@10", "nDCG@10"),
        ("answer_contains_gold", "answer contains gold"),
        ("f1", "F1 (KorQuAD)"),
        ("citation_correct", "citations correct"),
        ("refusal_recall", "refusal recall"),
        ("total_p95_ms", "latency p95"),
    ]
    cards = "".join(
        f"<div class='card'><div class='v'>{fmt(n, metrics.get(n))}</div>"
        f"<div class='n'>{escape(label)}</div></div>"
        for n, label in names
        if n in metrics
    )
    return f"<div class='cards'>{cards}</div>"


def _legend_for(name: str) -> str:
    if name.startswith("recall@"):
        return LEGEND["recall@k"]
    if name.startswith("hit@"):
        return LEGEND["hit@k"]
    if name == "ndcg@5":
        return "as nDCG@10, cut at 5"
    if name.endswith("_ms"):
        stage = name.split("_")[0]
        what = {"retrieve": "query embedding + hybrid search", "answer": "answer stage"}
        return f"{stage} latency ({what.get(stage, 'retrieve + answer')}), per turn"
    return LEGEND.get(name, "")


def _metrics_table(metrics: dict[str, float]) -> str:
    rows = []
    for section, pattern in SECTIONS:
        for name, value in metrics.items():
            if pattern.search(name) and not (section == "answers" and "citation" in name):
                rows.append(
                    f"<tr><td class='dim'>{section}</td><td>{escape(name)}</td>"
                    f"<td class='num'>{fmt(name, value)}</td>"
                    f"<td class='legend'>{escape(_legend_for(name))}</td></tr>"
                )
    return (
        "<h2>All metrics</h2><table><tr><th>section</th><th>metric</th>"
        "<th class='num'>value</th><th>meaning</th></tr>" + "".join(rows) + "</table>"
        "<p class='legend'>Retrieval is scored per document (ranked chunks collapsed to "
        "documents, first occurrence), over answerable questions with gold documents. "
        "EM/F1 follow the official KorQuAD 1.0 script; an extractive answerer quotes whole "
        "sentences, so they are low by construction: read <i>answer_contains_gold</i> for "
        "answer quality. — means there was nothing to measure.</p>"
    )


def _judge(report: dict[str, Any]) -> str:
    judge = report.get("judge") or {}
    notes = "".join(f"<p class='banner'>{escape(n)}</p>" for n in report.get("notes", []))
    if not judge:
        return notes
    return (
        "<h2>LLM-judged faithfulness and relevance</h2>"
        f"<p class='legend'>{escape(judge.get('note', ''))}</p>" + notes
    )


def _tag_table(per_tag: dict[str, dict[str, float]], ks: list[int]) -> str:
    cols = tag_columns(ks)
    head = "".join(f"<th class='num'>{escape(c)}</th>" for c in cols)
    rows = "".join(
        f"<tr><td>{escape(tag)}</td><td class='num'>{fmt('questions', tm['questions'])}</td>"
        + "".join(f"<td class='num'>{fmt(c, tm.get(c))}</td>" for c in cols)
        + "</tr>"
        for tag, tm in per_tag.items()
    )
    table = f"<table><tr><th>tag</th><th class='num'>n</th>{head}</tr>{rows}</table>"
    if len(per_tag) > 20:
        table = f"<details><summary>All {len(per_tag)} tags</summary>{table}</details>"
    return f"<h2>Per tag</h2>{table}"


def _failures(results: list[dict[str, Any]], ks: list[int]) -> str:
    worst = worst_failures(results, ks, n=20)
    failed = sum(not r["passed"] for r in results)
    if not worst:
        return "<h2>Failures</h2><p class='ok'>No failures.</p>"
    rows = []
    for r in worst:
        rank = r["first_gold_rank"]
        ranking, gold = r["ranked_ids"] or r["ranked_docs"], set(r["relevant"] or r["gold_docs"])
        titles = (
            "<br>".join(
                f"<b class='ok'>{escape(t)}</b>" if ranking[i] in gold else escape(t)
                for i, t in enumerate(r["ranked_titles"][:3])
            )
            or "—"
        )
        why = (
            "answered an unanswerable question"
            if not r["answerable"]
            else "gold document not retrieved"
            if rank is None or rank > max(ks)
            else "refused"
            if r["refused"]
            else "answer lacks the gold answer"
        )
        rows.append(
            f"<tr><td>{escape(r['case_id'])}/{r['turn']}</td><td>{escape(r['question'])}</td>"
            f"<td>{escape(' | '.join(r['answers']) or '(unanswerable)')}</td>"
            f"<td>{escape(r['answer'][:300])}</td><td>{titles}</td>"
            f"<td class='num'>{rank or '—'}</td><td class='bad'>{why}</td></tr>"
        )
    return (
        f"<h2>Worst failures ({len(worst)} of {failed})</h2><table><tr><th>case</th>"
        "<th>question</th><th>gold</th><th>answer</th><th>retrieved (top 3, gold in green)</th>"
        "<th class='num'>gold rank</th><th>why</th></tr>" + "".join(rows) + "</table>"
    )


def _all_cases(results: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['case_id'])}/{r['turn']}</td>"
        f"<td class='{'ok' if r['passed'] else 'bad'}'>{'pass' if r['passed'] else 'fail'}</td>"
        f"<td>{escape(r['question'])}</td><td class='num'>{r['first_gold_rank'] or '—'}</td>"
        f"<td class='num'>{r['f1']:.2f}</td>"
        f"<td class='num'>{r['retrieve_ms'] + r['answer_ms']:.0f}</td>"
        f"<td>{escape(', '.join(r['tags']))}</td></tr>"
        for r in results
    )
    return (
        f"<details><summary>All {len(results)} turns</summary><table><tr><th>case</th>"
        "<th>result</th><th>question</th><th class='num'>gold rank</th><th class='num'>F1</th>"
        f"<th class='num'>ms</th><th>tags</th></tr>{rows}</table></details>"
    )


def _comparison(comparison: dict[str, Any]) -> str:
    cls = {"better": "ok", "worse": "bad", "same": "dim"}
    rows = []
    for row in comparison["metrics"]:
        if row["verdict"] == "same":
            continue
        name, delta = row["metric"], row["delta"]
        rows.append(
            f"<tr><td>{escape(name)}</td><td class='num'>{fmt(name, row['before'])}</td>"
            f"<td class='num'>{fmt(name, row['after'])}</td><td class='num "
            f"{cls[row['verdict']]}'>{'+' if delta > 0 else ''}{fmt(name, delta)}</td></tr>"
        )
    table = (
        "<table><tr><th>metric</th><th class='num'>before</th><th class='num'>after</th>"
        "<th class='num'>change</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p class='dim'>No metric changed.</p>"
    )
    cases = []
    for label, key, css in (("Regressed", "regressed", "bad"), ("Improved", "improved", "ok")):
        items = comparison[key]
        lis = "".join(
            f"<li><b>{escape(c['case'])}</b> {escape(c['question'])} — "
            f"<span class='{css}'>{escape(c['why'])}</span> (gold rank "
            f"{c['rank_before'] or '—'} → {c['rank_after'] or '—'})</li>"
            for c in items
        )
        cases.append(f"<h3 class='{css}'>{label}: {len(items)} case(s)</h3><ul>{lis}</ul>")
    return (
        f"<h2>Compared with {escape(comparison.get('previous') or 'previous run')}</h2>"
        + table
        + "".join(cases)
    )


def _settings(report: dict[str, Any]) -> str:
    text = json.dumps(report.get("settings", {}), ensure_ascii=False, indent=1)
    return f"<details><summary>Settings snapshot</summary><pre>{escape(text)}</pre></details>"


def _chart(svg: str) -> str:
    """One chart in its framed box."""
    return f"<div class='chart'>{svg}</div>"
