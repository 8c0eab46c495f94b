"""The stalled-handoff watchdog: deadlines, alerts, apology notices, the late-dossier report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust

    from services.relay import Relay
    from services.settings import Settings

__all__ = ["install_watchdog"]


def install_watchdog(app: faust.App, settings: Settings, relay: Relay) -> None:
    """Register the watchdog's agents, tables, timers and views on ``app`` (not built yet)."""
