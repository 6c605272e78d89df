"""One emulator's moving parts, built together and shared by every route through ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from emulator.cli_sessions import CliHub
from emulator.config import EmulatorConfig
from emulator.delivery import Deliverer
from emulator.faults import FaultTable
from emulator.scheduler import Scheduler
from emulator.state import EmulatorState


@dataclass
class Runtime:
    """Config, state, the timer thread, the webhook deliverer, the Stripe CLI's sessions and the
    armed faults of one app."""

    config: EmulatorConfig
    state: EmulatorState = field(init=False)
    scheduler: Scheduler = field(init=False)
    deliverer: Deliverer = field(init=False)
    faults: FaultTable = field(init=False, default_factory=FaultTable)
    cli: CliHub = field(init=False)

    def __post_init__(self) -> None:
        self.state = EmulatorState(self.config)
        self.scheduler = Scheduler()
        self.deliverer = Deliverer(self.state, self.scheduler, self.config)
        self.cli = CliHub(self._log_delivery)
        self.state.listeners.append(self.cli.on_event)

    def _log_delivery(self, entry: dict[str, Any]) -> None:
        """What a ``stripe listen`` forward answered, in the deliveries' log."""
        with self.deliverer.lock:
            self.deliverer.log.append(entry)

    def start(self) -> None:
        """Start background work (the lifespan calls this)."""
        self.scheduler.start()

    def stop(self) -> None:
        """Stop background work and close connections."""
        self.scheduler.stop()
        self.deliverer.close()

    def schedule_settlement(self, delay: float, job: Callable[[], None]) -> None:
        """Run a bank-debit settlement later (not waited for by ``flush``)."""
        self.scheduler.call_later(delay, job, kind="settlement")

    def reset(self) -> None:
        """Back to an empty emulator (same config, same threads)."""
        self.deliverer.reset()
        self.state.reset()
        self.faults.clear()


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving ``request``."""
    runtime: Runtime = request.app.state.runtime
    return runtime
