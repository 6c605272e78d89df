"""A session's ``payment_link``: read from Stripe's object, kept in its state, and absent (None)
from facts recorded before the service read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe_objects import UnreadableObject, session_facts
from adapters.transcodings import SessionFactsAsDict
from domain.model.facts import SessionFacts
from domain.model.payment_link import CreatedAtStripe, PaymentLinkBook
from domain.model.session_state import COMPLETED, AppliedFact, fold

SESSION: dict[str, Any] = {"object": "checkout.session", "id": "cs_test_a1", "mode": "payment",
                           "status": "complete", "payment_status": "paid", "metadata": {}}


def test_the_payment_link_of_a_session_is_read_as_its_id() -> None:
    assert session_facts({**SESSION, "payment_link": "plink_123"}).payment_link == "plink_123"


def test_an_expanded_payment_link_is_read_as_its_id() -> None:
    expanded = {**SESSION, "payment_link": {"id": "plink_123", "object": "payment_link"}}

    assert session_facts(expanded).payment_link == "plink_123"


@pytest.mark.parametrize("missing", [{}, {"payment_link": None}])
def test_a_session_not_opened_from_a_link_has_none(missing: dict[str, Any]) -> None:
    assert session_facts({**SESSION, **missing}).payment_link is None


@pytest.mark.parametrize("bad", [5, ["plink_1"], {"object": "payment_link"}])
def test_a_payment_link_of_the_wrong_type_makes_the_session_unreadable(bad: Any) -> None:
    with pytest.raises(UnreadableObject, match="payment_link"):
        session_facts({**SESSION, "payment_link": bad})


def test_facts_stored_before_payment_link_existed_read_back_with_none() -> None:
    stored = {"session_id": "cs_test_a1", "mode": "payment", "status": "complete",
              "payment_status": "paid", "customer": None, "customer_email": None,
              "amount_subtotal": 1800, "amount_total": 1800, "currency": "usd",
              "payment_intent": "pi_1", "setup_intent": None, "subscription": None,
              "client_reference_id": None, "metadata": [["a", "b"]]}

    facts = SessionFactsAsDict().decode(stored)

    assert facts.payment_link is None
    assert facts.metadata == (("a", "b"),)


def test_facts_with_a_payment_link_survive_the_store() -> None:
    facts = SessionFacts("cs_test_a1", "payment", "complete", "paid", payment_link="plink_9")
    transcoding = SessionFactsAsDict()

    assert transcoding.decode(transcoding.encode(facts)) == facts


def test_the_sessions_state_carries_its_payment_link() -> None:
    facts = SessionFacts("cs_test_a1", "payment", "complete", "paid", payment_link="plink_9")
    applied = AppliedFact(COMPLETED, "evt_1", datetime(2026, 1, 1, tzinfo=UTC), facts)

    assert fold([applied]).payment_link == "plink_9"


def test_the_book_records_a_link_once_and_a_deactivation_once() -> None:
    book = PaymentLinkBook.open()
    created = CreatedAtStripe("plink_1", "https://buy.stripe.com/test_x", True)

    book.record_created(created, "price_1", 2, (("k", "v"),), "alice")
    book.record_created(created, "price_1", 2, (), "bob")
    book.record_deactivated("plink_1", "bob", "over")
    link = book.record_deactivated("plink_1", "alice", None)

    assert [type(e).__name__ for e in book.collect_events()] == ["LinkCreated",
                                                                 "LinkDeactivated"]
    assert (link.active, link.created_by, link.deactivated_by, link.metadata) == (
        False, "alice", "bob", (("k", "v"),))
