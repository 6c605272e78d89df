"""What happens to a checkout: aggregates, events, decisions and ports.

Imports only the standard library and ``eventsourcing``; never Stripe, a web
framework or a database driver (enforced by import-linter in ``make check``).
"""
