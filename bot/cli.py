"""`expansion-bot`: the command line of DESIGN.md. Heavy imports happen inside the commands."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from handlers.reply import Reply

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Expansion Bot: finds expansion-ready accounts and helps CSMs act on them.",
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _print_reply(reply: Reply, as_json: bool) -> None:
    """The reply as JSON or for people; exit 1 when it is an error, so scripts can tell."""
    if as_json:
        sys.stdout.write(json.dumps(reply.to_json(), ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        from bot.console import show

        show(reply, out)
    if not reply.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    reset: bool = typer.Option(False, "--reset", help="start over: forget recorded outcomes"),
) -> None:
    """Create the database if needed and load the demo portfolio (idempotent)."""
    from bot.console import show
    from bot.wiring import context, ready_engine, today
    from handlers.commands import Command
    from handlers.dispatch import handle
    from storage.demo import DEMO_TEAM, load_demo

    settings = _settings()
    engine = ready_engine(settings)
    summary = load_demo(engine, today(settings), progress=out, reset=reset)
    out.print(f"[green]Demo portfolio loaded[/green] into {settings.database_url}")
    out.print(summary.describe(), markup=False, highlight=False)
    show(handle(Command("digest", account=DEMO_TEAM), context(settings, engine)), out)
    out.print(
        "Go on with:\n"
        '  .venv/bin/expansion-bot ask "expansion Kopi Nusantara"\n'
        '  .venv/bin/expansion-bot ask "prep Kopi Nusantara"\n'
        '  .venv/bin/expansion-bot ask "draft Kopi Nusantara whatsapp id"\n'
        '  .venv/bin/expansion-bot ask "objection Kopi Nusantara tidak ada budget"\n'
        '  .venv/bin/expansion-bot ask "outcome Kopi Nusantara won Tier 2"\n'
        "  .venv/bin/expansion-bot pipeline --chart pipeline.png\n"
        "  .venv/bin/expansion-bot chat --as dewi@example.com\n"
        "Start over with: .venv/bin/expansion-bot demo --reset"
    )


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(..., help="CSV files, catalog.yaml, or folders of them"),
) -> None:
    """Import CSV files and catalog.yaml, all or nothing."""
    from bot.wiring import ready_engine
    from storage.importer import ImportFailed, import_paths

    engine = ready_engine(_settings())
    try:
        summary = import_paths(engine, paths, console=err)
    except ImportFailed as exc:
        for line in exc.errors:
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        err.print(f"[red]Import failed: {len(exc.errors)} error(s); nothing was changed.[/red]")
        raise typer.Exit(1) from None
    out.print(summary.describe(), markup=False, highlight=False)


@app.command()
def ask(
    text: str,
    as_: str = typer.Option("", "--as", help="act as this CSM (email)"),
    as_json: bool = typer.Option(False, "--json", help="print the reply as JSON"),
) -> None:
    """Run one chat command as a channel would and print the reply."""
    from bot.wiring import context, ready_engine
    from handlers.dispatch import handle_text

    settings = _settings()
    engine = ready_engine(settings)
    _print_reply(handle_text(text, context(settings, engine, caller=as_, user_key=f"console:{as_}")), as_json)


@app.command()
def chat(as_: str = typer.Option("", "--as", help="act as this CSM (email)")) -> None:
    """An interactive console that speaks the chat command language."""
    from bot.console import show
    from bot.wiring import context, ready_engine
    from handlers.dispatch import handle_text

    settings = _settings()
    engine = ready_engine(settings)
    ctx = context(settings, engine, caller=as_, user_key=f"console:{as_ or 'operator'}")
    out.print("Expansion Bot — type `help`, or `quit` to leave.")
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if line.lower() in {"quit", "exit", "keluar"}:
            return
        if line:
            show(handle_text(line, ctx), out)


@app.command()
def digest(
    team: str = typer.Option("", help="team name (default: the first team)"),
    day: str = typer.Option("", "--date", help="YYYY-MM-DD (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
    send: bool = typer.Option(False, "--send", help="deliver to the team's Slack channel, once"),
) -> None:
    """Compute a team's digest; print it, or deliver it with --send."""
    from bot.wiring import context, ready_engine
    from handlers.commands import Command
    from handlers.dispatch import handle

    settings = _settings()
    engine = ready_engine(settings)
    ctx = context(settings, engine)
    if day:
        try:
            ctx.today = date.fromisoformat(day)
        except ValueError:
            err.print(f"--date must be YYYY-MM-DD, not {day!r}")
            raise typer.Exit(2) from None
    if send:
        from bot.digest_delivery import deliver_cli

        raise typer.Exit(deliver_cli(settings, engine, team, ctx.today, out))
    _print_reply(handle(Command("digest", account=team), ctx), as_json)


@app.command()
def pipeline(
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
    chart: Path | None = typer.Option(None, "--chart", help="also write the chart as a PNG file"),
) -> None:
    """The expansion pipeline: conversion, revenue per currency, NRR, trend, commission, learning."""
    from bot.wiring import context, ready_engine
    from handlers.commands import Command
    from handlers.dispatch import handle

    settings = _settings()
    engine = ready_engine(settings)
    if chart is not None:
        from handlers.pipeline import write_chart

        if not write_chart(engine, context(settings, engine).today, chart):
            err.print("No expansion revenue was won in the last 12 months: no chart to draw.")
        else:
            err.print(f"Chart written to {chart}")
    _print_reply(handle(Command("pipeline"), context(settings, engine)), as_json)


@app.command()
def serve() -> None:
    """Run Slack, the WhatsApp webhook and the scheduler, whichever are configured."""
    from bot.server import run

    run(_settings())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations."""
    from bot.wiring import ready_engine

    engine = ready_engine(_settings())
    out.print(f"Database at the newest schema: {engine.url.render_as_string(hide_password=True)}")


def main() -> None:
    app()
