"""The ``assistant eval`` command: a case file through the pipeline, scored and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from assistant.interfaces.cli_support import err, fail, out, settings, warn
from assistant.interfaces.runtime import configure_threads


def eval_command(
    ctx: typer.Context,
    cases: Annotated[
        Path, typer.Argument(help="Cases (.jsonl, .yaml) or a SQuAD/KorQuAD .json file")
    ],
    corpus: Annotated[Path | None, typer.Option(help="Ingest this folder first")] = None,
    k: Annotated[str, typer.Option(help="Cut-offs for recall@k, comma separated")] = "1,3,5,10",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report here")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write an HTML report")] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=VALUE: exit 1 if the metric is under VALUE (over it for *_ms and "
            "false_refusals); repeatable"
        ),
    ] = None,
    compare_to: Annotated[
        Path | None, typer.Option("--compare", help="An earlier --json report to diff against")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Score retrieval (recall@k, MRR@10, nDCG@10), answers (EM, F1, contains-gold),
    citations and refusals on a case file; a SQuAD file is evaluated in its own index.

    Ctrl-C stops early and still reports the finished cases (marked partial, exit 130).
    """
    from assistant.evaluation.cases import load_cases
    from assistant.evaluation.compare import compare
    from assistant.evaluation.console import print_report
    from assistant.evaluation.gates import parse_gates
    from assistant.evaluation.runner import evaluate
    from assistant.evaluation.squad import is_squad, squad_workspace

    try:
        ks = sorted({int(x) for x in k.split(",") if x.strip()})
    except ValueError:
        fail(f"--k takes whole numbers separated by commas, not {k!r}")
    if not ks or min(ks) < 1:
        fail(f"--k takes positive whole numbers, not {k!r}")
    try:
        gates = parse_gates(fail_under or [], ks)
    except ValueError as exc:
        fail(str(exc), code=2)
    previous = None
    if compare_to is not None:
        try:
            previous = json.loads(compare_to.read_text("utf-8"))
            if not isinstance(previous.get("metrics"), dict) or "results" not in previous:
                raise ValueError("no 'metrics' and 'results'")
        except (OSError, ValueError, AttributeError) as exc:
            fail(f"--compare {compare_to}: not an eval report ({exc})")
    if not cases.is_file():
        fail(f"no such case file: {cases}")

    from assistant.errors import IndexMismatch, ModelPreparationError, StoreUnavailable
    from assistant.pipeline.service import Assistant

    try:
        if is_squad(cases):
            if corpus is not None:
                fail("--corpus does not apply to a SQuAD file: its paragraphs are the corpus")
            items, squad_corpus, eval_settings = squad_workspace(cases, settings(ctx))
            err.print(f"SQuAD file: {len(items)} questions; index in {eval_settings.data_dir}")
            configure_threads(eval_settings.embedding_threads)
            qa = Assistant(eval_settings)
            report = qa.ingest([squad_corpus], progress=not quiet, warn=warn)
            err.print(report.summary())
        else:
            items = load_cases(cases)
            qa = Assistant(settings(ctx))
            if corpus is not None:
                qa.ingest([corpus], progress=not quiet, warn=warn)
        configure_threads(qa.settings.query_threads)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    except (StoreUnavailable, ModelPreparationError, IndexMismatch) as exc:
        fail(str(exc))
    result = evaluate(qa, items, ks=ks, progress=not quiet, source=str(cases))
    data = result.to_dict()
    comparison = compare(previous, data) if previous is not None else None
    print_report(data, out, comparison)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        out.print(f"[dim]JSON report: {json_out}[/]")
    if html_out is not None:
        from assistant.evaluation.report import render_html

        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(render_html(data, comparison), "utf-8")
        out.print(f"[dim]HTML report: {html_out}[/]")
    failures = [msg for gate in gates if (msg := gate.check(result.metrics))]
    for msg in failures:
        err.print(f"[bold red]gate failed:[/] {escape(msg)}")
    if failures:
        raise typer.Exit(1)
    if result.partial:
        raise typer.Exit(130)
