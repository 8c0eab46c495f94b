"""Logging for the worker: one line per record, ``[time] [pid] [LEVEL] message``, to standard error.

Log calls pass their arguments separately (``log.info("relayed %s", code)``) and never a citizen's personal
data or a secret; the clients' own loggers are kept at WARNING so their chatter (and their reprs of
requests) stays out.
"""

from __future__ import annotations

import logging

__all__ = ["configure_logging"]

_LEVELS = {"crit": logging.CRITICAL, "error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO}
_QUIET = ("aiokafka", "kafka", "aiohttp.access", "httpx", "httpcore")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=_LEVELS.get(level, logging.DEBUG),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
        force=True,
    )
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, _LEVELS.get(level, logging.DEBUG)))
