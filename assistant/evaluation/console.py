"""The evaluation report in the terminal (``rich``); ``assistant.evaluation.report`` is the HTML.

Like the HTML it renders from the JSON dict (``EvalReport.to_dict()``), so a saved report
prints the same as a fresh one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.evaluation.summary import SECTIONS, fmt, largest_tags, tag_columns, worst_failures

if TYPE_CHECKING:
    from assistant.evaluation.runner import EvalReport


def print_report(
    report: EvalReport | dict[str, Any],
    console: Console,
    comparison: dict[str, Any] | None = None,
) -> None:
    """Metrics by section, per tag, the worst failures and, if given, the comparison.

    :param report: a finished run, or its dict (a saved ``--json`` report prints the same).
    :param console: where to print.
    :param comparison: ``evaluation.compare.compare``'s result, shown when given.
    """
    data = report if isinstance(report, dict) else report.to_dict()
    metrics, ks = data["metrics"], data["ks"]
    title = f"evaluation — {int(metrics['questions'])} questions"
    if data.get("partial"):
        title += f" [bold yellow](PARTIAL: {data['cases_done']}/{data['cases_planned']} cases)[/]"
    table = Table(title=title, title_justify="left")
    table.add_column("section", style="dim")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for section, pattern in SECTIONS:
        first = True
        for name, value in metrics.items():
            if pattern.search(name) and not (section == "answers" and "citation" in name):
                table.add_row(section if first else "", name, fmt(name, value))
                first = False
        table.add_section()
    console.print(table)
    console.print(
        "[dim]EM/F1 are KorQuAD's; an extractive answerer quotes whole sentences, so they are "
        "low by construction — answer_contains_gold is the fair answer metric.[/]"
    )
    judge = data.get("judge") or {}
    if judge:
        console.print(f"[dim]LLM judge (faithfulness/relevance): {escape(judge['note'])}[/]")

    if data.get("per_tag"):
        cols = [c for c in tag_columns(ks) if c != "citation_correct"]  # terminal width
        tags = Table(title="per tag", title_justify="left")
        tags.add_column("tag")
        tags.add_column("n", justify="right")
        for c in cols:
            tags.add_column(c, justify="right")
        shown = largest_tags(data["per_tag"])
        for tag in shown:
            tm = data["per_tag"][tag]
            tags.add_row(tag, fmt("questions", tm["questions"]), *(fmt(c, tm[c]) for c in cols))
        if len(shown) < len(data["per_tag"]):
            tags.caption = f"the {len(shown)} largest of {len(data['per_tag'])} tags"
        console.print(tags)

    worst = worst_failures(data["results"], ks)
    failed = sum(not r["passed"] for r in data["results"])
    if worst:
        t = Table(
            title=f"worst failures ({len(worst)} of {failed})",
            show_lines=True,
            title_justify="left",
        )
        for col in ("case", "question", "gold", "answer", "retrieved (rank of gold)"):
            t.add_column(col, overflow="fold")
        for r in worst:
            rank = r["first_gold_rank"]
            titles = " | ".join(_short(t, 28) for t in r["ranked_titles"][:3])
            t.add_row(
                f"{r['case_id']}/{r['turn']}",
                escape(r["question"]),
                escape(" | ".join(r["answers"]) or "(unanswerable)"),
                escape(r["answer"][:200]),
                escape(f"{titles} ({rank if rank else '—'})"),
            )
        console.print(t)
    if comparison:
        print_comparison(comparison, console)
    for note in data.get("notes", []):
        console.print(f"[yellow]{escape(note)}[/]")


def _short(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis."""
    return text if len(text) <= n else text[: n - 1] + "…"


def print_comparison(comparison: dict[str, Any], console: Console) -> None:
    """The metrics that changed (green better, red worse) and the regressed and improved
    cases, at most 20 of each."""
    colour = {"better": "green", "worse": "red", "same": "dim"}
    t = Table(
        title=f"compared with {comparison['previous'] or 'previous run'}", title_justify="left"
    )
    for col in ("metric", "before", "after", "change"):
        t.add_column(col, justify="left" if col == "metric" else "right")
    for row in comparison["metrics"]:
        if row["verdict"] == "same":
            continue
        name = row["metric"]
        sign = "+" if row["delta"] > 0 else ""
        change = f"[{colour[row['verdict']]}]{sign}{fmt(name, row['delta'])}[/]"
        t.add_row(name, fmt(name, row["before"]), fmt(name, row["after"]), change)
    if t.row_count:
        console.print(t)
    else:
        console.print("[dim]no metric changed[/]")
    for label, rows, style in (
        ("regressed", comparison["regressed"], "red"),
        ("improved", comparison["improved"], "green"),
    ):
        if not rows:
            console.print(f"[dim]{label}: no cases[/]")
            continue
        console.print(f"[{style}]{label}: {len(rows)} case(s)[/]")
        for r in rows[:20]:
            console.print(f"  [{style}]{r['case']}[/] {escape(r['question'][:60])} — {r['why']}")
