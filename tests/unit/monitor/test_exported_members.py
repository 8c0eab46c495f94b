"""The monitor's public surface."""

from __future__ import annotations

import services.monitor as monitor


def test_exported_members() -> None:
    assert monitor.__all__ == ["LagTracker", "Monitor", "install_monitor"]
    for name in monitor.__all__:
        assert hasattr(monitor, name)
