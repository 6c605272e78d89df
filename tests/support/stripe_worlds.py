"""The two Stripe worlds the gateway contract runs in: the real adapter talking HTTP to the
emulator, and the hand-written fake. Each arranges the same things its own way.

Both retry as the SDK does (``max_network_retries=2``: one try and two retries for a 5xx or
a timeout, none for a 429). A timed-out try still takes effect at Stripe: the emulator holds
its answer ``HOLD`` seconds, longer than the adapter waits, then does what it was asked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from adapters.stripe_gateway import StripeGateway
from domain.ports import LineItem
from emulator.cards import MAGIC_PAYMENT_METHODS
from tests.support.fake_stripe import FakeStripeGateway
from tests.support.purchases import API_KEY, Item, Shop

RETRIES = 2
CLIENT_TIMEOUT = 0.3  # the real adapter's timeout here; a held answer comes after HOLD
HOLD = 1.0
ROUTES = {  # the fake's call names -> the emulator's routes
    "retrieve_checkout": ("GET", "/v1/checkout/sessions/*"),
    "retrieve_setup": ("GET", "/v1/checkout/sessions/*"),
    "create_customer": ("POST", "/v1/customers"),
    "charge_off_session": ("POST", "/v1/payment_intents"),
    "create_recovery_session": ("POST", "/v1/checkout/sessions"),
}
OTHER_READS = ("/v1/setup_intents/**", "/v1/payment_methods/**", "/v1/customers/**")
REFUSAL = {"type": "invalid_request_error", "code": "parameter_invalid",
           "message": "This request cannot be made with this key."}


class EmulatorWorld:
    """The real adapter and the emulator, with faults armed through ``/_emulator/faults``."""

    def __init__(self, url: str) -> None:
        self.gateway = StripeGateway(API_KEY, url, max_network_retries=RETRIES,
                                     timeout_seconds=CLIENT_TIMEOUT)
        self.shop = Shop(url)
        self.sdk = self.shop.sdk
        self.control = httpx.Client(base_url=url, trust_env=False, timeout=15)

    def paid_session(self, items: Sequence[Item]) -> str:
        session_id = self.shop.session(*items)
        self.shop.pay(session_id)
        return session_id

    def setup_session(self, test_card: str | None, email: str) -> str:
        params: dict[str, Any] = {
            "mode": "setup", "payment_method_types": ["card"], "customer_email": email,
            "success_url": "http://127.0.0.1:4242/saved?session_id={CHECKOUT_SESSION_ID}"}
        session = self.sdk.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        if test_card is not None:
            self.control.post(f"/_emulator/checkout/sessions/{session.id}/pay",
                              json={"card": MAGIC_PAYMENT_METHODS[test_card]}).raise_for_status()
        return str(session.id)

    def customer(self, email: str | None = None) -> str:
        return str(self.sdk.v1.customers.create(params={"email": email} if email else {}).id)

    def delete_customer(self, customer: str) -> None:
        self.sdk.v1.customers.delete(customer)

    def saved_card(self, customer: str, test_card: str) -> str:
        return str(self.sdk.v1.payment_methods.attach(test_card, params={"customer": customer}).id)

    def loose_card(self, test_card: str) -> str:
        """A new card PaymentMethod attached to nobody."""
        return str(self.sdk.v1.payment_methods.create(params={"type": "card", "card": {
            "number": MAGIC_PAYMENT_METHODS[test_card], "exp_month": 12, "exp_year": 2034}}).id)

    def charges_of(self, customer: str) -> list[dict[str, Any]]:
        listed = self.sdk.v1.payment_intents.list(params={"customer": customer, "limit": 100})
        return [{"id": pi.id, "amount": pi.amount, "currency": pi.currency,
                 "payment_method": pi.payment_method, "description": pi.description,
                 "metadata": pi.metadata.to_dict(), "status": pi.status} for pi in listed.data]

    def checkout_session(self, session_id: str) -> dict[str, Any]:
        session = self.sdk.v1.checkout.sessions.retrieve(
            session_id, params={"expand": ["line_items"]}).to_dict()
        [line] = session["line_items"]["data"]
        return {"mode": session["mode"], "customer": session["customer"],
                "metadata": session["metadata"], "amount": line["amount_total"],
                "currency": line["currency"], "description": line["description"],
                "success_url": session["success_url"], "cancel_url": session["cancel_url"]}

    def pay_recovery(self, session_id: str) -> None:
        self.shop.pay(session_id)

    def recovery_status(self, session_id: str) -> str:
        return str(self.sdk.v1.checkout.sessions.retrieve(session_id).status)

    def fail_next(self, call: str, fault: str, count: int) -> None:
        method, path = ROUTES[call]
        rule: dict[str, Any] = {"method": method, "path": path, "fault": fault, "count": count}
        if fault == "timeout":
            rule["seconds"] = HOLD
        if fault == "refused":
            rule.update(fault="error", status=400, error=REFUSAL)
        self.control.post("/_emulator/faults", json=rule).raise_for_status()

    def fail_next_retrievals(self, fault: str, count: int) -> None:
        self.fail_next("retrieve_checkout", fault, count)

    def trap_other_reads(self) -> None:
        """Any read but the session's own fails from now on (until ``faults_left`` is read)."""
        for path in OTHER_READS:
            self.control.post("/_emulator/faults", json={
                "method": "GET", "path": path, "fault": "error", "status": 400,
                "error": REFUSAL, "count": 99}).raise_for_status()

    def faults_left(self) -> int:
        armed = self.control.get("/_emulator/faults").json()["faults"]
        return sum(rule["count"] for rule in armed if rule["count"] != 99)

    def other_reads(self) -> int:
        armed = self.control.get("/_emulator/faults").json()["faults"]
        return sum(99 - rule["count"] for rule in armed if rule["path"] in OTHER_READS)

    def let_held_answers_land(self) -> None:
        time.sleep(HOLD + 0.3)

    def close(self) -> None:
        self.control.delete("/_emulator/faults").raise_for_status()
        self.control.close()
        self.shop.__exit__()


class FakeWorld:
    """The hand-written fake, arranged through its own methods."""

    def __init__(self) -> None:
        self.gateway = FakeStripeGateway(max_network_retries=RETRIES)
        self._trapped_at: int | None = None

    def paid_session(self, items: Sequence[Item]) -> str:
        return self.gateway.add_paid_session([
            LineItem(f"price_fake_{n}", quantity, name, amount * quantity, "usd")
            for n, (name, amount, quantity) in enumerate(items)])

    def setup_session(self, test_card: str | None, email: str) -> str:
        return self.gateway.add_setup_session(test_card, email=email)

    def customer(self, email: str | None = None) -> str:
        return self.gateway.add_customer(email)

    def delete_customer(self, customer: str) -> None:
        self.gateway.delete_customer(customer)

    def saved_card(self, customer: str, test_card: str) -> str:
        return self.gateway.add_card(test_card, customer=customer)

    def loose_card(self, test_card: str) -> str:
        return self.gateway.add_card(test_card)

    def charges_of(self, customer: str) -> list[dict[str, Any]]:
        return [{"id": pi.id, "amount": pi.amount, "currency": pi.currency,
                 "payment_method": pi.payment_method, "description": pi.description,
                 "metadata": dict(pi.metadata), "status": pi.status}
                for pi in reversed(self.gateway.charges_of(customer))]  # newest first

    def checkout_session(self, session_id: str) -> dict[str, Any]:
        s = self.gateway.recovery_sessions[session_id]
        return {"mode": "payment", "customer": s.customer, "metadata": dict(s.metadata),
                "amount": s.amount, "currency": s.currency, "description": s.description,
                "success_url": s.success_url, "cancel_url": s.cancel_url}

    def pay_recovery(self, session_id: str) -> None:
        self.gateway.recovery_sessions[session_id].status = "complete"

    def recovery_status(self, session_id: str) -> str:
        return self.gateway.recovery_sessions[session_id].status

    def fail_next(self, call: str, fault: str, count: int) -> None:
        self.gateway.fail_next(fault, count, call=call)

    def fail_next_retrievals(self, fault: str, count: int) -> None:
        self.fail_next("retrieve_checkout", fault, count)

    def trap_other_reads(self) -> None:
        self._trapped_at = len(self.gateway.calls)

    def faults_left(self) -> int:
        return self.gateway.faults_left()

    def other_reads(self) -> int:
        assert self._trapped_at is not None
        return len(self.gateway.calls[self._trapped_at:]) - 1  # the one call under test

    def let_held_answers_land(self) -> None:
        """Nothing is held in the fake: a timed-out try took effect at once."""


StripeWorld = EmulatorWorld | FakeWorld
