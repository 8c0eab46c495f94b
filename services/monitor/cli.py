"""`lienthong` subcommands of the monitor (registered by services.cli)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this flow's subcommands; each sets `func(settings, args) -> int`."""
