"""Stripe-managed subscriptions end to end: a subscription-mode Checkout Session on the
emulator, renewed and declined on Stripe's test clock, its events delivered signed to the
service, on SQLite and PostgreSQL: listed, entitled, dunned, canceled by staff."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import STAFF, settle
from tests.integration.emulator.billing_support import DAY, advance, attach, clock, price, ts
from tests.support.fleet import stripe_events
from tests.support.purchases import API_KEY, SUCCESS_URL, Shop
from tests.support.versions import read_every_version
from tests.support.webhooks import signed

pytest_plugins = ["tests.support.purchase_fixtures"]
START = ts(2027, 1, 31, 12)


class Stripe:
    """The emulator seen from the service: every event it made, delivered once, in order."""

    def __init__(self, service: TestClient, shop: Shop) -> None:
        self.service, self.shop, self.sdk = service, shop, shop.sdk
        self.delivered: set[str] = set()

    def deliver_all(self) -> list[str]:
        """POST every event not delivered yet, oldest first; their types."""
        found = stripe_events(str(self.shop.http.base_url).rstrip("/"), API_KEY)
        types = []
        for event in found:  # oldest first
            if event["id"] in self.delivered:
                continue
            payload, headers = signed(json.dumps(event).encode())
            answer = self.service.post("/webhook", content=payload, headers=headers)
            assert answer.status_code == 200, answer.text
            self.delivered.add(event["id"])
            types.append(event["type"])
        settle(self.service, fulfil=True)
        return types

    def subscribe_through_checkout(self) -> tuple[str, str, str]:
        """A customer on a new test clock buys a monthly plan on Checkout: (customer,
        subscription, clock)."""
        test_clock = clock(self.sdk, START).id
        customer = self.sdk.v1.customers.create(params={
            "email": "ada@example.com", "test_clock": test_clock}).id
        plan = price(self.sdk, 1500)
        session = self.sdk.v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": customer, "success_url": SUCCESS_URL,
            "line_items": [{"price": plan.id, "quantity": 1}]})
        self.shop.pay(session.id)
        subscription = self.sdk.v1.checkout.sessions.retrieve(session.id).subscription
        assert isinstance(subscription, str)
        return customer, subscription, test_clock


def subscriptions(service: TestClient, customer: str) -> list[dict[str, Any]]:
    answer = service.get(f"/customers/{customer}/subscriptions", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["subscriptions"])


def entitled(service: TestClient, customer: str) -> list[tuple[str, str | None]]:
    answer = service.get(f"/customers/{customer}/entitlements", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return [(e["source"], e["until"]) for e in answer.json()["entitlements"]]


def test_a_checkout_subscription_is_listed_renewed_and_entitled_for_each_period(
    service: TestClient, shop: Shop
) -> None:
    stripe = Stripe(service, shop)
    customer, sub, test_clock = stripe.subscribe_through_checkout()
    delivered = stripe.deliver_all()
    assert {"customer.subscription.created", "invoice.paid",
            "checkout.session.completed"} <= set(delivered)

    [listed] = subscriptions(service, customer)
    assert (listed["id"], listed["kind"], listed["status"]) == (sub, "stripe", "active")
    assert listed["price"].startswith("price_") and listed["amount"] == 1500
    assert listed["current_period_end"].startswith("2027-02-28")
    [(source, until)] = entitled(service, customer)
    assert (source, until[:10]) == (sub, "2027-02-28")

    advance(shop.sdk, test_clock, START + 40 * DAY)
    stripe.deliver_all()

    [renewed] = subscriptions(service, customer)
    assert (renewed["status"], renewed["current_period_end"][:10]) == ("active", "2027-03-31")

    # An auditor reads it as it stood after each event Stripe sent.
    ends = [d["current_period_end"] for d in read_every_version(service, sub)]
    assert ends == sorted(ends) and ends[-1].startswith("2027-03-31")
    assert any(end.startswith("2027-02-28") for end in ends)


def test_a_declined_stripe_renewal_is_past_due_listed_for_support_and_canceled_by_staff(
    service: TestClient, shop: Shop
) -> None:
    stripe = Stripe(service, shop)
    customer, sub, test_clock = stripe.subscribe_through_checkout()
    failing = attach(shop.sdk, customer, "pm_card_chargeCustomerFail")
    shop.sdk.v1.subscriptions.update(sub, params={"default_payment_method": failing})
    advance(shop.sdk, test_clock, START + 29 * DAY)
    stripe.deliver_all()

    [late] = subscriptions(service, customer)
    assert late["status"] == "past_due" and late["next_retry_at"]
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    assert [(f["kind"], f["amount"]) for f in failures if f["id"] == sub] == [
        ("renewal_failed", 1500)]
    assert [s for s, _ in entitled(service, customer)] == [sub]  # within the grace period

    canceled = service.post(f"/customers/{customer}/subscriptions/{sub}/cancel",
                            headers=STAFF, json={"at_period_end": False, "reason": "asked"})
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    stripe.deliver_all()

    assert [s["status"] for s in subscriptions(service, customer)] == ["canceled"]
    assert entitled(service, customer) == []
    history = service.get(f"/subscriptions/{sub}", headers=STAFF).json()["history"]
    assert ("StaffAsked", "alice") in [(e["type"], e["actor"]) for e in history]
    assert sub not in [f["id"] for f in service.get("/support/failures",
                                                    headers=STAFF).json()["failures"]]


def test_canceling_someone_elses_or_an_unknown_subscription_is_404_and_asks_stripe_nothing(
    service: TestClient, shop: Shop
) -> None:
    stripe = Stripe(service, shop)
    customer, sub, _ = stripe.subscribe_through_checkout()
    stripe.deliver_all()

    other = service.post(f"/customers/cus_someone/subscriptions/{sub}/cancel", headers=STAFF,
                         json={"at_period_end": True})
    unknown = service.post(f"/customers/{customer}/subscriptions/sub_nothing/cancel",
                           headers=STAFF, json={"at_period_end": True})
    bad = service.post(f"/customers/{customer}/subscriptions/{sub}/cancel", headers=STAFF,
                       json={"at_period_end": "yes"})

    assert [a.status_code for a in (other, unknown, bad)] == [404, 404, 400]
    assert shop.sdk.v1.subscriptions.retrieve(sub).cancel_at_period_end is False
