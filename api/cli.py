"""``checkout-ledger``: the command line (serve, emulator, audit queries)."""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Annotated

import typer

from api.cli_common import (
    cli,
    command_services,
    emit,
    fail,
    ledger_only,
    load_settings,
    or_not_found,
    parsed,
    print_json,
    store_where,
)


@cli.command()
def serve(
    workers: Annotated[int, typer.Option(
        help="Web processes on the one port (more than 1 needs PostgreSQL); one worker "
             "process runs beside them")] = 1,
    worker: Annotated[bool, typer.Option(
        help="Start a worker process beside the web processes; --no-worker when workers "
             "run on their own (`checkout-ledger worker`)")] = True,
) -> None:
    """Run the service (local mode with the Stripe emulator when STRIPE_API_KEY is unset)."""
    settings = load_settings(serving=True)
    _share_metrics_between_processes()
    from api.serve import CannotServe, run

    try:
        run(settings, workers=workers, with_worker=worker)
    except CannotServe as error:
        fail(str(error))


@cli.command()
def worker() -> None:
    """Run the background processing only (serve starts one itself)."""
    from api.logs import configure_logging
    from api.worker import run_worker

    configure_logging()
    run_worker(load_settings(serving=False))


@cli.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one)")] = 12111,
) -> None:
    """Run the project's Stripe emulator on its own (the SDK talks to it over HTTP)."""
    from emulator.__main__ import main as run_emulator

    run_emulator(host=host, port=port)


@cli.command()
def history(session_id: str) -> None:
    """Print every event of a Checkout Session, oldest first (JSON)."""
    from api.views import history_entry

    ledger = ledger_only()
    events = or_not_found(lambda: ledger.history(session_id))
    print_json({"session": session_id, "events": [history_entry(e) for e in events]})


@cli.command()
def state(
    session_id: str,
    version: Annotated[int | None, typer.Option(min=1, help="State after the N-th event")] = None,
    at: Annotated[str | None, typer.Option(help="State as recorded at this ISO-8601 time")] = None,
) -> None:
    """Print a Checkout Session's state, now or as of a version or time (JSON)."""
    from api.views import session_view

    if version is not None and at is not None:
        fail("give --version or --at, not both")
    from api.params import parse_session_id, parse_time

    session_id = parsed(parse_session_id, session_id, "CS_ID")
    moment = parsed(parse_time, at, "--at") if at is not None else None
    ledger = ledger_only()
    session = or_not_found(lambda: ledger.session(session_id, version=version, at=moment))
    print_json(session_view(session))


@cli.command()
def failures(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts)")] = False,
) -> None:
    """Print what needs a person, oldest first (a table, or JSON with --json)."""
    from api.views import case_view

    services = command_services()
    try:
        cases = [case_view(case) for case in or_not_found(services.support.failures)]
    finally:
        services.stop()
    columns = ("since", "kind", "id", "customer", "amount", "currency", "attempts", "last_error")
    emit({"failures": cases}, as_json, [{k: c.get(k) for k in columns} for c in cases],
         "Open failures")


@cli.command()
def fulfill(
    session_id: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the session's history)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts)")] = False,
) -> None:
    """Run a session's fulfillment again (never twice), recorded as cli:$USER."""
    import getpass

    from domain.apps.fulfill_checkout import FulfillerFailed
    from domain.errors import SessionNotFound
    from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

    services = command_services(needs_stripe=True)
    try:
        outcome = services.fulfillment.fulfill_on_request(
            session_id, actor=f"cli:{getpass.getuser()}", reason=reason)
    except (SessionNotFound, UnknownAtStripe) as missing:
        fail(str(missing), code=1)
    except (StripeUnavailable, StripeRefused, FulfillerFailed) as error:
        fail(str(error), code=1)
    finally:
        services.stop()

    emit({"session": session_id, "status": outcome.status,
          "newly_fulfilled": outcome.newly_fulfilled}, as_json)


@cli.command()
def reprocess(
    event_id: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the event's record)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts)")] = False,
) -> None:
    """Apply a stored Stripe event again (an event_unprocessable case), never twice;
    recorded under your user name."""
    import getpass

    from api.params import parse_event_id

    event_id = parsed(parse_event_id, event_id, "EVT_ID")
    services = command_services()
    try:
        stored = services.inbox.get(event_id)
        if stored is None:
            fail(f"no stored Stripe event {event_id} in {store_where()}", code=1)
        outcome, error = services.ledger.reprocess(stored, f"cli:{getpass.getuser()}", reason)
    finally:
        services.stop()

    emit({"event": event_id, "type": stored.type, "status": outcome, "error": error}, as_json)
    if outcome == "failed":
        raise typer.Exit(1)


@cli.command("payment-link")
def payment_link(
    price: Annotated[str, typer.Argument(help="The Stripe price to sell (price_...)")],
    quantity: Annotated[int, typer.Option(help="How many of it, 1 to 999")] = 1,
) -> None:
    """Create a Stripe Payment Link for PRICE whose customers land on the success page, as
    POST /payment-links does; recorded under your user name (JSON)."""
    import getpass

    from eventsourcing.persistence import PersistenceError

    from adapters.stripe_gateway import StripeGateway
    from adapters.stripe_links import PaymentLinkRefused
    from api.params import BadParameter
    from api.payment_links import link_order, link_view
    from domain.apps.payment_links import PaymentLinks
    from domain.ports import StripeRefused, StripeUnavailable

    try:
        order = link_order({"price": price, "quantity": quantity})
    except BadParameter as bad:
        fail(str(bad))
    settings = load_settings(serving=False)
    if settings.local_mode:
        fail("STRIPE_API_KEY is needed to reach Stripe (local mode's emulator lives only as long "
             "as its `serve`: set STRIPE_API_KEY and STRIPE_API_BASE to the key and emulator it "
             "printed, or use POST /payment-links)")
    settings.store.prepare()
    links = PaymentLinks(env=settings.store.env_for(PaymentLinks.name), public_url=settings.public_url,
                         stripe=StripeGateway(settings.stripe_api_key or "", settings.stripe_api_base))
    try:
        link = links.create(order, f"cli:{getpass.getuser()}")
    except PaymentLinkRefused as refused:
        fail(f"Stripe refused the payment link: {refused}", code=1)
    except (StripeUnavailable, StripeRefused) as error:
        fail(str(error), code=1)
    except PersistenceError as error:
        fail(f"DATABASE_URL: cannot record the link in {settings.store.where}: "
             f"{' '.join(str(error).split())}", code=1)
    finally:
        links.close()
    print_json(link_view(link))


def _share_metrics_between_processes() -> None:
    """The web and worker processes count into one directory that /metrics adds up.
    prometheus_client reads the setting when first imported, so this comes first."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or "prometheus_client" in sys.modules:
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="checkout-ledger-metrics-")


def main() -> None:
    from api import cli_support  # noqa: F401  (registers the support commands)

    cli()
