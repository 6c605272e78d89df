"""The project's own errors; the API maps each one to its own status code."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of the errors the domain raises on purpose."""


class SessionNotFound(LedgerError):
    """No Checkout Session with this id has been recorded (or not by then)."""

    def __init__(self, session_id: str, detail: str = "") -> None:
        super().__init__(f"checkout session {session_id} not found{detail}")
        self.session_id = session_id
