"""A hand-written Stripe behind the same surface as ``adapters.stripe_gateway.StripeGateway``.

For domain unit tests: no HTTP, no SDK, the same answers and the same errors. Its behaviour is
pinned to the real adapter's by ``tests/integration/test_stripe_gateway_contract.py``, which runs
one test class against both (the real one talking to the emulator over HTTP)::

    stripe = FakeStripeGateway()                  # retries like the SDK: max_network_retries=2
    session_id = stripe.add_paid_session([LineItem("price_1", 2, "Mug", 1000, "usd")])
    stripe.fail_next("503", count=3)              # 3 failed tries > 1 try + 2 retries: unavailable
    stripe.fail_next("429")                       # never retried by the SDK: unavailable
    stripe.fail_next("timeout", count=2)          # retried twice, then the answer arrives
    stripe.fail_next("refused")                   # a 4xx other than not found: StripeRefused
    stripe.fail_next("timeout", call="charge_off_session")  # charged, but the answer is lost

Faults are the emulator's (``POST /_emulator/faults``): ``500``, ``502``, ``503``, ``timeout``
(retried like a network error), ``429`` (a rate limit, not retried), and ``refused`` (the
emulator's ``error`` fault with a 400 status). Each failed try uses up one; ``calls`` lists the
tries, faulted or not.

One known difference, outside the domain's port: for ``list_prices`` and
``create_checkout_session`` the real adapter lets a 4xx out as the SDK's own error today,
where this fake raises ``StripeRefused``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from adapters.stripe_gateway import CatalogPrice
from domain.model.facts import SessionFacts
from domain.ports import (
    CheckoutSnapshot,
    LineItem,
    StripeRefused,
    StripeUnavailable,
    UnknownAtStripe,
)
from tests.support.fake_stripe_charges import FakeCharges

FAULTS = ("500", "502", "503", "429", "timeout", "refused")
_RETRIED = ("500", "502", "503", "timeout")  # what the SDK tries again on its own
_ids = itertools.count(1)
T = TypeVar("T")


@dataclass
class _Fault:
    kind: str
    remaining: int
    call: str | None  # None: any call


@dataclass
class FakeStripeGateway(FakeCharges):
    """Sessions, prices and faults held in memory; see the module docstring. Customers,
    cards and charges: :mod:`tests.support.fake_stripe_cards`, ``..._charges``."""

    max_network_retries: int = 2
    sessions: dict[str, CheckoutSnapshot] = field(default_factory=dict)
    prices: list[CatalogPrice] = field(default_factory=list)
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    """Every try: (call name, fault kind or None when it answered)."""
    _faults: deque[_Fault] = field(default_factory=deque, init=False, repr=False)

    # Arranging ---------------------------------------------------------------------------

    def add_session(self, facts: SessionFacts, line_items: Sequence[LineItem] = ()) -> str:
        """Stripe knows this session (as it stands now); answers its id."""
        self.sessions[facts.session_id] = CheckoutSnapshot(facts, tuple(line_items))
        return facts.session_id

    def add_paid_session(self, line_items: Sequence[LineItem], **facts: Any) -> str:
        """A completed, paid payment-mode session of ``line_items``; answers its id."""
        session_id = facts.pop("session_id", None) or f"cs_test_fake{next(_ids):06d}"
        total = sum(item.amount_total for item in line_items)
        currency = line_items[0].currency if line_items else "usd"
        defaults: dict[str, Any] = {"mode": "payment", "status": "complete",
                                    "payment_status": "paid", "amount_subtotal": total,
                                    "amount_total": total, "currency": currency}
        return self.add_session(SessionFacts(session_id, **{**defaults, **facts}), line_items)

    def update_session(self, session_id: str, **facts: Any) -> None:
        """Stripe's view of the session moved on (paid, expired...)."""
        snapshot = self.sessions[session_id]
        self.sessions[session_id] = replace(snapshot, facts=replace(snapshot.facts, **facts))

    def add_price(self, price: CatalogPrice) -> None:
        """An active price of an active product, as ``list_prices`` offers it."""
        self.prices.append(price)

    def fail_next(self, fault: str, count: int = 1, *, call: str | None = None) -> None:
        """The next ``count`` tries (of ``call``, e.g. ``"retrieve_checkout"``, or of any call)
        fail with ``fault``; like the emulator's rules, oldest first."""
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._faults.append(_Fault(fault, count, call))

    def faults_left(self) -> int:
        """How many faulted tries are still armed."""
        return sum(fault.remaining for fault in self._faults)

    # The gateway -------------------------------------------------------------------------

    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot:
        """The session with every line item; the adapter's errors, after the SDK's retries."""
        return self._call("retrieve_checkout", lambda: self._snapshot(session_id))

    def _snapshot(self, session_id: str) -> CheckoutSnapshot:
        snapshot = self.sessions.get(session_id)
        if snapshot is None:
            raise UnknownAtStripe(f"No such checkout.session: '{session_id}'")
        return snapshot

    def list_prices(self) -> list[CatalogPrice]:
        """Every price added: one-time ones first, then in the order added."""
        return self._call("list_prices", lambda: sorted(self.prices, key=lambda p: p.recurring))

    def create_checkout_session(self, params: dict[str, Any]) -> tuple[str, str]:
        """An open session of the given prices; answers its id and hosted-page url."""
        return self._call("create_checkout_session", lambda: self._new_session(params))

    def _new_session(self, params: dict[str, Any]) -> tuple[str, str]:
        by_id = {p.id: p for p in self.prices}
        items = []
        for line in params.get("line_items") or []:
            price = by_id.get(line.get("price"))
            if price is None:
                raise StripeRefused(f"InvalidRequestError: No such price: '{line.get('price')}'")
            quantity = int(line.get("quantity") or 1)
            items.append(LineItem(price.id, quantity, price.product_name,
                                  price.unit_amount * quantity, price.currency))
        session_id = self.add_paid_session(items, status="open", payment_status="unpaid",
                                           mode=str(params.get("mode") or "payment"))
        return session_id, f"https://checkout.stripe.com/c/pay/{session_id}"

    def _call(self, call: str, effect: Callable[[], T]) -> T:
        """Try like the SDK does: retried faults are tried again up to ``max_network_retries``.
        A timed-out try still takes effect at Stripe (nobody reads its answer), as with the
        emulator; the other faults answer before anything happens."""
        for attempt in range(self.max_network_retries + 1):
            fault = self._take(call)
            self.calls.append((call, fault))
            if fault is None:
                return effect()
            if fault == "timeout":
                with suppress(StripeRefused, UnknownAtStripe):
                    effect()
            if fault not in _RETRIED or attempt == self.max_network_retries:
                raise _error(fault)
        raise AssertionError("unreachable")

    def _take(self, call: str) -> str | None:
        for fault in self._faults:
            if fault.call in (None, call):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.kind
        return None


def _error(fault: str) -> Exception:
    if fault == "refused":
        return StripeRefused("InvalidRequestError: refused by the fake")
    if fault == "429":
        return StripeUnavailable("Request rate limit exceeded.")
    if fault == "timeout":
        return StripeUnavailable("Request timed out")
    return StripeUnavailable(f"HTTP {fault}: An unknown error occurred")
