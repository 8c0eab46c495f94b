"""The Office's liaison-lag monitor: dashboard, metrics, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust

    from services.relay import Relay
    from services.settings import Settings
    from services.watchdog import Watchdog

__all__ = ["install_monitor"]


def install_monitor(app: faust.App, settings: Settings, relay: Relay, watchdog: Watchdog) -> None:
    """Register the monitor's views and tasks on ``app`` (not built yet)."""
