"""Regenerate ``emulator/shapes.json`` from Stripe's published ``fixtures3.json``.

Run ``python -m emulator.shapes_build [PATH_TO_fixtures3.json]`` from a checkout of the repository
(the default is the copy kept as test data, ``tests/fixtures/stripe/fixtures3.json``). The
emulator itself only reads the small ``shapes.json`` written here (package data), so the installed
package never needs the full fixture file or anything under ``tests/``.

Stripe's fixtures are *examples*: some fields hold placeholder values (``"message"``, huge random
integers, ``obj_123``). The neutral values below replace those at the top level so that a freshly
built object looks like a fresh object, while the key set and nesting stay Stripe's.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

RESOURCES = [
    "checkout.session", "item", "price", "product", "customer", "event", "webhook_endpoint",
    "payment_intent", "setup_intent", "payment_method", "subscription", "subscription_item",
    "plan", "deleted_webhook_endpoint", "charge", "deleted_customer", "invoice", "line_item",
    "test_helpers.test_clock", "deleted_test_helpers.test_clock", "payment_link",
    "invoiceitem",
]

# Keys of Stripe's examples that the pinned API version no longer sends (the invoice names its
# subscription under ``parent.subscription_details`` since 2025-03-31.basil).
REMOVED: dict[str, list[str]] = {"invoice": ["subscription"]}

_NULL_ADDRESS = {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")}

NEUTRAL: dict[str, dict[str, Any]] = {
    "checkout.session": {
        "after_expiration": None, "amount_subtotal": 0, "amount_total": 0,
        "automatic_tax": {"enabled": False, "liability": None, "status": None, "provider": None},
        "consent": None, "consent_collection": None, "currency": None,
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer_details": None, "customer_creation": "if_required", "invoice_creation": None,
        "payment_method_configuration_details": None, "payment_method_collection": "always",
        "saved_payment_method_options": None, "shipping_address_collection": None,
        "shipping_cost": None, "total_details": {"amount_discount": 0, "amount_shipping": 0,
                                                 "amount_tax": 0},
        "adaptive_pricing": {"enabled": False}, "collected_information": None,
        "currency_conversion": None, "managed_payments": {"enabled": False},
        "payment_intent": None, "ui_mode": "hosted_page", "cancel_url": None, "success_url": None,
        "url": None, "wallet_options": None, "permissions": None,
    },
    "item": {"metadata": {}, "adjustable_quantity": None, "description": None},
    "price": {"transform_quantity": None, "recurring": None, "type": "one_time"},
    "subscription_item": {"billing_thresholds": None, "plan": None},
    "plan": {"transform_usage": None, "billing_scheme": "per_unit", "livemode": False,
             "metadata": {}},
    "product": {"default_price": None, "description": None, "package_dimensions": None,
                "type": "service"},
    "customer": {"discount": None, "shipping": None, "currency": None},
    "payment_intent": {
        "amount_details": {"tip": {}}, "automatic_payment_methods": None, "canceled_at": None,
        "last_payment_error": None, "next_action": None,
        "payment_method_configuration_details": None, "processing": None, "shipping": None,
        "transfer_data": None, "managed_payments": None,
    },
    "setup_intent": {"automatic_payment_methods": None, "last_setup_error": None,
                     "next_action": None, "payment_method_configuration_details": None},
    "payment_method": {"metadata": {},
                       "billing_details": {"address": dict(_NULL_ADDRESS), "email": None,
                                           "name": None, "phone": None, "tax_id": None}},
    "subscription": {
        "billing_cycle_anchor_config": None, "cancel_at": None, "canceled_at": None,
        "ended_at": None, "next_pending_invoice_item_invoice": None, "pause_collection": None,
        "pending_invoice_item_interval": None, "pending_update": None, "transfer_data": None,
        "trial_end": None, "trial_start": None, "cancel_at_period_end": False,
        "billing_thresholds": None, "managed_payments": None, "billing_schedules": [],
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "trial_settings": None,
    },
    "event": {"data": {"object": {}}, "api_version": None},
    "invoice": {
        "account_name": None, "amount_overpaid": 0, "auto_advance": True,
        "automatic_tax": {"enabled": False, "liability": None, "status": None,
                          "disabled_reason": None, "provider": None},
        "customer_shipping": None, "due_date": None, "effective_at": None, "from_invoice": None,
        "last_finalization_error": None, "next_payment_attempt": None, "shipping_cost": None,
        "shipping_details": None, "webhooks_delivered_at": None, "parent": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "total_pretax_credit_amounts": [], "total_taxes": [],
    },
    "line_item": {"pretax_credit_amounts": [], "taxes": [], "parent": None,
                  "discount_amounts": [], "metadata": {}},
    "test_helpers.test_clock": {"name": None, "status": "ready", "status_details": {}},
    "invoiceitem": {"invoice": None, "parent": None, "description": None, "net_amount": 0,
                    "quantity_decimal": "1", "test_clock": None},
    "webhook_endpoint": {"description": None},
    "payment_link": {
        "after_completion": {"hosted_confirmation": {"custom_message": None},
                             "type": "hosted_confirmation"},
        "automatic_tax": {"enabled": False, "liability": None},
        "consent_collection": None, "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "invoice_creation": {"enabled": False, "invoice_data": {
            "account_tax_ids": None, "custom_fields": None, "description": None, "footer": None,
            "issuer": None, "metadata": {}, "rendering_options": None}},
        "managed_payments": {"enabled": False}, "payment_intent_data": None,
        "payment_method_options": None, "restrictions": None,
        "shipping_address_collection": None, "subscription_data": None, "transfer_data": None,
    },
    "charge": {
        "source": None, "transfer_data": None, "shipping": None, "balance_transaction": None,
        "receipt_url": None, "description": None, "payment_method_details": None,
        "billing_details": {"address": dict(_NULL_ADDRESS), "email": None, "name": None,
                            "phone": None, "tax_id": None},
        "outcome": None, "amount_captured": 0, "captured": False, "paid": False,
        "calculated_statement_descriptor": "Stripe", "review": None,
    },
}


def build(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Return the templates: each fixture with its neutral values applied."""
    out: dict[str, Any] = {}
    for name in RESOURCES:
        template = copy.deepcopy(fixtures["resources"][name])
        template.update(copy.deepcopy(NEUTRAL.get(name, {})))
        for key in REMOVED.get(name, []):
            del template[key]
        out[name] = template
    # A charge's ``payment_method_details.card``, filled in from the card that paid.
    out["charge_card_details"] = copy.deepcopy(
        fixtures["resources"]["charge"]["payment_method_details"]["card"])
    return out


def main(argv: list[str]) -> None:
    """Read the fixture file (default: the repository's test data), write shapes.json."""
    here = Path(__file__).resolve().parent
    source = Path(argv[0]) if argv else here.parent / "tests/fixtures/stripe/fixtures3.json"
    shapes = build(json.loads(source.read_text()))
    (here / "shapes.json").write_text(json.dumps(shapes, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
