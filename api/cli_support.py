"""The support commands of ``checkout-ledger``: what the console does, from a terminal.

Each is recorded as ``cli:$USER``, prints a readable table (or ``--json`` for scripts),
and reads the same settings as the service. Registered on :data:`api.cli.cli`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli_common import cli, command_services, emit, fail, me, parsed

JSON = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts)")]
REASON = Annotated[str | None, typer.Option(help="Why (kept in the history)")]


@cli.command("retry-charge")
def retry_charge(charge_id: str, reason: REASON = None, as_json: JSON = False) -> None:
    """A new off-session attempt of a declined charge (chg_...), recorded as cli:$USER."""
    from api.params import parse_charge_id
    from api.payment_views import staff_outcome_view

    charge_id = parsed(parse_charge_id, charge_id, "ID")
    services = command_services(needs_stripe=True)
    try:
        outcome = _known(lambda: services.charges.retry(charge_id, me(), reason))
    finally:
        services.stop()
    view = staff_outcome_view(outcome, me())
    emit(view, as_json, [{"charge": charge_id, "outcome": view["outcome"],
                          "detail": view["detail"], "status": view["charge"]["status"]}])


@cli.command("recovery-link")
def recovery_link(charge_id: str, reason: REASON = None, as_json: JSON = False) -> None:
    """A new recovery Checkout Session for a declined charge, sent to the customer."""
    from api.params import parse_charge_id
    from api.payment_views import staff_outcome_view

    charge_id = parsed(parse_charge_id, charge_id, "ID")
    services = command_services(needs_stripe=True)
    try:
        outcome = _known(lambda: services.charges.new_recovery_link(charge_id, me(), reason))
        services.settle()  # the notice goes out now (a CLI has no worker behind it)
    finally:
        services.stop()
    view = staff_outcome_view(outcome, me())
    emit(view, as_json, [{"charge": charge_id, "outcome": view["outcome"],
                          "detail": view["detail"], "link": view["charge"]["recovery_url"]}])


@cli.command()
def reconcile(reason: REASON = None, as_json: JSON = False) -> None:
    """Ingest the Stripe events never delivered (GET /v1/events since the last point)."""
    from api.payment_views import counts_view

    services = command_services(needs_stripe=True)
    try:
        with Console(stderr=True).status("Asking Stripe for its events..."):
            counts = _known(lambda: services.reconciler.reconcile(me(), reason))
    finally:
        services.stop()
    view = counts_view(counts)
    emit(view, as_json, [view])


@cli.command("rebuild-projections")
def rebuild_projections(as_json: JSON = False) -> None:
    """Rebuild every read model from the event log in memory and compare it with the live
    one; exit status 1 if any differs."""
    from api.rebuild import rebuild_all

    services = command_services()
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=Console(stderr=True)) as bar:
            tasks: dict[str, Any] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total or 1)
                bar.update(tasks[name], completed=done, total=total or 1)

            differences = rebuild_all(services, progress)
    finally:
        services.stop()
    rows = [{"projection": d.projection, "aggregate": str(d.aggregate), "difference": d.what}
            for d in differences]
    emit({"differences": rows}, as_json, rows or [{"result": "every projection agrees"}])
    if differences:
        raise typer.Exit(1)


@cli.command()
def export(
    since: Annotated[str | None, typer.Option(help="Only events recorded at or after this "
                                                   "ISO-8601 time")] = None,
    app: Annotated[str, typer.Option(help="Whose log: Ledger, Inbox, Charges, ...")] = "Ledger",
) -> None:
    """Write an application's event log as JSON Lines (one event a line, in order)."""
    from api.export import export_log
    from api.params import parse_time

    moment = parsed(parse_time, since, "--since") if since is not None else None
    services = command_services()
    try:
        apps = {f.upstream.name: f.upstream for f in services.followers} | {
            f.processor.name: f.processor for f in services.followers}
        if app not in apps:
            fail(f"--app: one of {', '.join(sorted(apps))}")
        for line in export_log(apps[app], moment):
            sys.stdout.write(line + "\n")
    finally:
        services.stop()


def _known(command: Any) -> Any:
    from domain.errors import ChargeNotFound
    from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

    try:
        return command()
    except (ChargeNotFound, UnknownAtStripe) as missing:
        fail(str(missing), code=1)
    except (StripeUnavailable, StripeRefused) as error:
        fail(str(error), code=1)
