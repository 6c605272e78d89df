"""What the hosted page's card form collects, and what a card saved through Checkout becomes.

Billing details, as Checkout's card form collects them (``billing_address_collection``):
``auto`` (the default): cardholder name, country, and the postal code for US, CA and GB;
``required``: name and the full address. Checkout also collects the email, or takes the
customer's. Deliberate simplification, so that tests and people in a hurry type only a card
number: a field left empty gets the value of :data:`TEST_BILLING` (Jenny Rosen at Stripe's
address, ``US``), as if the customer had typed it; the emulator never refuses a payment for a
missing billing field. So every card saved through the hosted page, like every card saved
through Stripe's own Checkout, has the billing details its session asked for.

``allow_redisplay`` of a card saved through Checkout, from Stripe's support article
"Prefilling saved cards in Checkout" (https://support.stripe.com/questions/prefilling-saved-cards-in-checkout):

- ``setup`` mode: ``always`` (such a card is pre-filled when the customer comes back);
- ``subscription`` mode: ``limited`` (not pre-filled), unless the session has
  ``saved_payment_method_options[payment_method_save]=enabled`` and the customer ticks the
  "save my card" box (``#save-card-consent``): then ``always``;
- ``payment`` mode: the card is not saved, unless ``payment_method_save=enabled``, the session
  has a customer and the box is ticked: then it is attached to the customer with ``always``
  (and the PaymentIntent gets ``setup_future_usage=on_session``: the emulator's reading, the
  docs do not say which value Checkout uses);
- ``payment_method_data[allow_redisplay]`` on the session overrides the value for a card
  Checkout saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.prefill import POSTAL_CODE_COUNTRIES, STATE_COUNTRIES

TEST_BILLING: dict[str, str] = {
    "name": "Jenny Rosen", "line1": "354 Oyster Point Blvd", "city": "South San Francisco",
    "state": "CA", "postal_code": "94080", "country": "US",
}
FORM_FIELDS = ("billing_name", "billing_country", "billing_postal_code", "billing_line1",
               "billing_line2", "billing_city", "billing_state")
COUNTRIES = ("US", "CA", "GB", "FR", "DE", "IE", "NL", "AU")


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(f"billing_{name}")
    text = str(value).strip() if value is not None else ""
    return text or None


def billing_details(form: Mapping[str, Any], collection: str | None, *, email: str | None
                    ) -> dict[str, Any]:
    """The ``billing_details`` of a card entered on the page (empty fields: test values)."""
    country = (_field(form, "country") or TEST_BILLING["country"]).upper()
    address: dict[str, str | None] = {k: None for k in ("city", "country", "line1", "line2",
                                                        "postal_code", "state")}
    address["country"] = country
    full = collection == "required"
    if full or country in POSTAL_CODE_COUNTRIES:
        address["postal_code"] = _field(form, "postal_code") or TEST_BILLING["postal_code"]
    if full:
        for name in ("line1", "city"):
            address[name] = _field(form, name) or TEST_BILLING[name]
        address["line2"] = _field(form, "line2")
        if country in STATE_COUNTRIES:
            address["state"] = _field(form, "state") or TEST_BILLING["state"]
    return {"address": address, "email": email, "name": _field(form, "name") or
            TEST_BILLING["name"], "phone": None, "tax_id": None}


def save_offered(session: Mapping[str, Any]) -> bool:
    """Whether the page shows the "save my card" box (``payment_method_save=enabled``)."""
    options = session.get("saved_payment_method_options") or {}
    if options.get("payment_method_save") != "enabled":
        return False
    return session.get("mode") == "subscription" or (session.get("mode") == "payment"
                                                     and bool(session.get("customer")))


def allow_redisplay(mode: str, *, consent: bool, override: str | None) -> str:
    """``allow_redisplay`` of a card Checkout saves in ``mode`` (see the module's rules)."""
    if override:
        return override
    if mode == "setup" or consent:
        return "always"
    return "limited"
