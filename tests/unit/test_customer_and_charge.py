"""The Customer and Charge aggregates: saved cards, and a charge's one outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.model.charge import Charge, charge_id_for
from domain.model.customer import CardNotUsable, Customer
from domain.model.payment_facts import Card, Decline

TODAY = date(2026, 11, 29)
AT = datetime(2026, 11, 29, 12, tzinfo=UTC)


def card(pm: str, fingerprint: str, *, exp: tuple[int, int] = (12, 2030)) -> Card:
    return Card(pm, "visa", "4242", exp[0], exp[1], fingerprint, "cus_1")


def customer_with(*cards: Card) -> Customer:
    customer = Customer.of("cus_1")
    for saved in cards:
        customer.save_card(saved, "cs_1", AT)
    return customer


def test_the_same_card_saved_twice_is_one_card() -> None:
    customer = customer_with(card("pm_1", "fp_a"))

    again = customer.save_card(card("pm_2", "fp_a"), "cs_2", AT)

    assert again is False
    assert list(customer.cards) == ["pm_1"]


def test_the_card_charged_is_the_default_unless_one_is_named() -> None:
    customer = customer_with(card("pm_1", "fp_a"), card("pm_2", "fp_b"))
    customer.set_default("pm_1")

    assert customer.card_to_charge(None, TODAY).card.payment_method == "pm_1"
    assert customer.card_to_charge("pm_2", TODAY).card.payment_method == "pm_2"


@pytest.mark.parametrize(("arrange", "asked", "reason"), [
    (lambda c: None, None, "no saved card"),
    (lambda c: c.save_card(card("pm_1", "fp_a"), "cs_1", AT), "pm_other", "not a card saved"),
    (lambda c: (c.save_card(card("pm_1", "fp_a"), "cs_1", AT), c.detach("pm_1")), "pm_1", "detached"),
    (lambda c: c.save_card(card("pm_1", "fp_a", exp=(10, 2026)), "cs_1", AT), "pm_1", "expired"),
])
def test_a_card_that_cannot_be_charged_is_refused_with_the_reason(
        arrange, asked: str | None, reason: str) -> None:  # type: ignore[no-untyped-def]
    customer = Customer.of("cus_1")
    arrange(customer)

    with pytest.raises(CardNotUsable, match=reason):
        customer.card_to_charge(asked, TODAY)


def test_a_card_expiring_this_month_can_still_be_charged() -> None:
    customer = customer_with(card("pm_1", "fp_a", exp=(11, 2026)))

    assert customer.card_to_charge("pm_1", TODAY).status(TODAY) == "active"


def requested() -> Charge:
    charge = Charge.of("chg_1")
    charge.request("chg_1", "cus_1", "pm_1", 2000, "usd", None, "k", "ada@example.com", "alice")
    return charge


def test_a_charge_records_one_outcome_whatever_answers_later() -> None:
    charge = requested()

    first = charge.record_success("pi_1", "succeeded")
    late_decline = charge.record_decline("pi_1", "requires_payment_method",
                                         Decline("card_declined", None, "no"))
    late_unknown = charge.record_unknown("timeout")

    assert (first, late_decline, late_unknown) == (True, False, False)
    assert charge.status == "succeeded"


def test_an_unknown_outcome_can_still_be_resolved_by_asking_again() -> None:
    charge = requested()
    charge.record_unknown("503 from Stripe")

    resolved = charge.record_success("pi_1", "succeeded")

    assert resolved and charge.status == "succeeded"
    assert [type(e).__name__ for e in charge.collect_events()] == [
        "Requested", "OutcomeUnknown", "Succeeded"]


def test_a_recovery_is_offered_once_and_only_for_a_decline() -> None:
    paid, declined = requested(), requested()
    paid.record_success("pi_1", "succeeded")
    declined.record_decline("pi_2", "requires_payment_method",
                            Decline("card_declined", "insufficient_funds", "no"))

    offers = [paid.offer_recovery("cs_r", "https://x"),
              declined.offer_recovery("cs_r", "https://x"),
              declined.offer_recovery("cs_r2", "https://y")]

    assert offers == [False, True, False]
    assert declined.recovery == ("cs_r", "https://x")


def test_the_same_idempotency_key_names_the_same_charge_per_customer() -> None:
    assert charge_id_for("cus_1", "k") == charge_id_for("cus_1", "k")
    assert charge_id_for("cus_1", "k") != charge_id_for("cus_2", "k")
    assert charge_id_for("cus_1", None) != charge_id_for("cus_1", None)
