"""What every ``checkout-ledger`` command shares: the Typer app, settings read once, one-line
failures, stores that are never created by a query, and the output (a table or JSON)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from api.settings import Settings, SettingsError

T = TypeVar("T")

cli = typer.Typer(
    help="Event-sourced backend for Stripe Checkout. Settings come from the environment "
         "(see README).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"checkout-ledger: {message}", err=True)
    raise typer.Exit(code)


def load_settings(*, serving: bool) -> Settings:
    """Settings from the environment, or one clear line per problem and exit 2."""
    try:
        return Settings.from_env(serving=serving)
    except SettingsError as error:
        for problem in error.problems:
            typer.echo(f"checkout-ledger: {problem}", err=True)
        raise typer.Exit(2) from None


def command_services(*, needs_stripe: bool = False) -> Any:
    from api.system import build

    settings = load_settings(serving=False)
    if needs_stripe and settings.local_mode:
        fail("STRIPE_API_KEY is needed to reach Stripe (local mode's emulator lives only as "
             "long as its `serve`)")
    from domain.apps.pipeline import APPLICATIONS

    return build(existing_store(settings, tuple(app.name for app in APPLICATIONS)))


def ledger_only() -> Any:
    from domain.apps.ledger import Ledger

    settings = existing_store(load_settings(serving=False), (Ledger.name,))
    return Ledger(env=settings.store.env_for(Ledger.name, create_table=False))


def existing_store(settings: Settings, app_names: tuple[str, ...]) -> Settings:
    """``settings`` for a command that never creates a store (no files, no tables); one
    line naming where it looked, and exit 2, when there is none."""
    from dataclasses import replace

    from adapters.stores import StoreUnavailable

    try:
        settings.store.check_exists(app_names)
    except StoreUnavailable as error:
        fail(f"DATABASE_URL: {error}")
    return replace(settings, create_tables=False)


def or_not_found(query: Any) -> Any:
    from eventsourcing.persistence import PersistenceError

    from domain.errors import SessionNotFound

    try:
        return query()
    except SessionNotFound as missing:
        fail(str(missing), code=1)
    except PersistenceError as error:  # e.g. PostgreSQL without the ledger's tables
        fail(f"DATABASE_URL: cannot read the ledger in {store_where()}: "
             f"{' '.join(str(error).split())}")


def store_where() -> str:
    return load_settings(serving=False).store.where


def parsed(parse: Callable[[str], T], raw: str, option: str) -> T:
    """A parameter parsed as the HTTP routes parse it; one line and exit 2 if malformed."""
    from api.params import BadParameter

    try:
        return parse(raw)
    except BadParameter as bad:
        fail(f"{option}: {bad}")


def print_json(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def me() -> str:
    return f"cli:{getpass.getuser()}"


def emit(document: dict[str, Any], as_json: bool, rows: list[dict[str, Any]] | None = None,
         title: str = "") -> None:
    """The document as JSON, or as a table of ``rows`` (the document's fields otherwise)."""
    if as_json:
        json.dump(document, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    rows = rows if rows is not None else [{"field": k, "value": v} for k, v in document.items()]
    table = Table(title=title or None, show_lines=False)
    for column in (rows[0] if rows else {"": ""}):
        table.add_column(str(column))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console(width=160).print(table)


