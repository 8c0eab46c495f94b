"""One lienthong (worker, simulated agencies, a fortnight of dossiers) shared by the monitor's integration tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .support import MonitorStack, caught_up, play_fortnight, start_stack, stop_stack


@pytest_asyncio.fixture(loop_scope="package", scope="package")
async def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MonitorStack]:
    probe_group = f"monitor-probe-{uuid.uuid4().hex[:8]}"
    system = await start_stack(
        kafka_bootstrap, Path(tmp_path_factory.mktemp("monitor")), {"LIENTHONG_MONITOR_GROUPS": probe_group}
    )
    system.extra["PROBE_GROUP"] = probe_group
    try:
        await play_fortnight(system)
        await caught_up(system)
        yield system
    finally:
        await stop_stack(system, probe_group)
