"""An agency's system goes down under load: what cannot be delivered within its retry budget waits in the
dead-letter topic with its reason, ``dlq redrive --all`` delivers it once the system is back (and does not
do it twice), and the day completes with nothing lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from simulators.stack import Stack
from tests.faults.support import play


async def test_g_an_agency_down_longer_than_its_retry_budget(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, client_retry_s=120)
    budget = {"max_attempts": 3, "backoff_initial_s": 0.05, "backoff_max_s": 0.2}
    await stack.start(act=True, delay_s=(0.05, 0.3), endpoint_options={"land-registry": budget})
    land = stack.agencies["land-registry"]

    async def outage(s: Stack) -> float:
        land.outage = True
        await asyncio.sleep(6)
        land.outage = False
        started = time.monotonic()
        while not (await asyncio.to_thread(s.cli, "dlq", "list")).stdout.count("land-registry"):
            assert time.monotonic() - started < 30, "nothing was dead-lettered during the outage"
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # the deliveries in flight when the system came back finish
        redriven = await asyncio.to_thread(s.cli, "dlq", "redrive", "--all")
        assert redriven.returncode == 0, redriven.stderr
        again = await asyncio.to_thread(s.cli, "dlq", "redrive", "--all")
        assert again.returncode == 0, again.stderr
        assert "nothing to redrive" in again.stdout, again.stdout  # redrive marks: not twice
        listed = await asyncio.to_thread(s.cli, "dlq", "list")
        assert "waiting" not in listed.stdout, listed.stdout
        return time.monotonic() - started

    try:
        outcome = await play(stack, "g: agency down beyond its budget", outage, dossiers=40, per_second=5)
        outcome.check()
        assert outcome.account.dead_lettered > 0
    finally:
        await stack.stop()
