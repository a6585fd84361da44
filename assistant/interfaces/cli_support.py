"""What every ``assistant`` command shares: its consoles, warnings, failing with a
message instead of a traceback, and the settings the command line chose."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from assistant.settings import Settings

out = Console()
err = Console(stderr=True)


def settings(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings for this invocation: --config and --data-dir, then ``overrides``."""
    config, base = ctx.obj or (None, {})
    try:
        return Settings.load(config, **{**base, **overrides})
    except ValueError as exc:
        fail(f"invalid settings: {exc}")


def warn(message: str) -> None:
    """Print a warning to stderr (the command goes on)."""
    err.print(f"[yellow]warning:[/] {escape(message)}")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print the error to stderr and end the command with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)
