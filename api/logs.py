"""Logging for the service's processes: one line per event worth an operator's time."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"

# Libraries that log every HTTP call at INFO: per fulfillment that would be several lines
# of noise; their warnings and errors still come through.
_CHATTY = ("stripe", "httpx", "httpcore")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
