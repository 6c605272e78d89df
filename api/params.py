"""The parameters the routes (and the CLI) take, parsed in one place.

Each ``parse_*`` function takes the raw text and answers the value, or raises
:class:`BadParameter` whose message says what to send instead. The app maps
``BadParameter`` to ``400 {"error": ...}`` once (``api/errors.py``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.requests import Request

SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")
CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9_]{1,250}")
CHARGE_ID = re.compile(r"chg_[a-f0-9]{24}")
PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,250}")
# Stripe's ``sub_...``, or the service's own ``msub_...`` (merchant-managed).
SUBSCRIPTION_ID = re.compile(r"sub_[A-Za-z0-9_]{1,250}|msub_[a-f0-9]{24}")
MAX_VERSION = 10**9
MAX_POSITION = 10**15
MAX_LOG_PAGE = 1000
DEFAULT_LOG_PAGE = 100
_INTEGER = re.compile(r"-?[0-9]{1,16}")


class BadParameter(ValueError):
    """A malformed id, number or time; the message names the parameter and what it takes."""


def parse_session_id(raw: str) -> str:
    """A Checkout Session id, ``cs_...``."""
    if not SESSION_ID.fullmatch(raw):
        raise BadParameter(f"malformed checkout session id {raw[:80]!r} (cs_...)")
    return raw


def parse_event_id(raw: str) -> str:
    """A Stripe event id, ``evt_...``."""
    if not EVENT_ID.fullmatch(raw):
        raise BadParameter(f"malformed Stripe event id {raw[:80]!r} (evt_...)")
    return raw


def parse_customer_id(raw: str) -> str:
    """A Stripe Customer id, ``cus_...``."""
    if not CUSTOMER_ID.fullmatch(raw):
        raise BadParameter(f"malformed customer id {raw[:80]!r} (cus_...)")
    return raw


def parse_charge_id(raw: str) -> str:
    """One of the service's charge ids, ``chg_`` and 24 hex digits."""
    if not CHARGE_ID.fullmatch(raw):
        raise BadParameter(f"malformed charge id {raw[:80]!r} (chg_ and 24 hex digits)")
    return raw


def parse_subscription_id(raw: str) -> str:
    """A Stripe Subscription id (``sub_...``) or a merchant-managed one (``msub_...``)."""
    if not SUBSCRIPTION_ID.fullmatch(raw):
        raise BadParameter(f"malformed subscription id {raw[:80]!r} (sub_... or msub_...)")
    return raw


def parse_int(raw: str, name: str, low: int, high: int) -> int:
    """A decimal integer from ``low`` to ``high``."""
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def parse_version(raw: str) -> int:
    """A session's version: its N-th event, from 1."""
    return parse_int(raw, "version", 1, MAX_VERSION)


def parse_after(raw: str) -> int:
    """A position in the ledger's log (0: from the start)."""
    return parse_int(raw, "after", 0, MAX_POSITION)


def parse_limit(raw: str) -> int:
    """How many log entries one page holds."""
    return parse_int(raw, "limit", 1, MAX_LOG_PAGE)


def parse_time(raw: str) -> datetime:
    """An ISO-8601 time; without an offset it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter("at must be an ISO-8601 time, e.g. 2026-11-22T15:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def query(request: Request, name: str) -> str | None:
    """One query parameter, ``None`` when absent; given twice, it is refused."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"{name} was given {len(values)} times; give it once")
    return values[0] if values else None


def path_session_id(request: Request) -> str:
    """The ``{session_id}`` of the route's path, checked."""
    return parse_session_id(request.path_params["session_id"])
