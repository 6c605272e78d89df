"""The support console (``GET /support``): server-rendered pages for staff signed in with
their token, every action a form with a reason and a CSRF token.

- :mod:`api.console.auth`: the signed session cookie, sign-in and sign-out, CSRF.
- :mod:`api.console.registry`: the kinds of object the console shows and their actions;
  a feature adds its own kind (a subscription, say) with :func:`registry.register`.
- :mod:`api.console.kinds`: the built-in kinds (session, customer, charge, stored event).
- :mod:`api.console.pages`: the queue, search, object pages and the action endpoint.
"""

from __future__ import annotations

from api.console.pages import routes

__all__ = ["routes"]
