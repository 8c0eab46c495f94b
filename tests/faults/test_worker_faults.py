"""Workers killed, restarted and added under steady load: nothing accepted is ever lost.

Each scenario plays dossiers through the balancer (the agencies retry a 503 or a refused connection, as
integrators do), injects its fault, lets the day finish, and then accounts for every record on Kafka:
each event is in a dossier's ledger or in quarantine, each outbound record reached its agency or waits in
the dead-letter topic. Repeats a receiver dropped by ``Idempotency-Key`` are reported, not failures.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from simulators.stack import Stack
from tests.faults.support import Load, settle, take_account


async def test_a_worker_killed_under_load_and_restarted_loses_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, balanced=True, client_retry_s=240)
    await stack.start(act=True, delay_s=(0.05, 0.3))
    try:
        import os

        n, rate, at, gap = (float(x) for x in os.environ.get("FAULT_A", "150,5,10,2").split(","))
        load = Load(stack, dossiers=int(n), per_second=rate)
        playing = load.start()
        await asyncio.sleep(at)
        stack.kill_worker(0)
        killed = time.monotonic()
        await asyncio.sleep(gap)
        stack.spawn(0)
        await stack.wait_ready(0, 240)
        ready_after = time.monotonic() - killed
        await playing
        still_open = await settle(stack, load.codes, 180)
        account = await take_account(stack)
        print(
            f"\nscenario a: {account.summary()} dossiers={len(load.codes)} open={still_open} "
            f"ready {ready_after:.1f}s after the kill"
        )
        assert not account.lost_events, f"{account.summary()}: {account.lost_events[:20]}\n{stack.tail()}"
        assert not account.lost_outbound, f"{account.summary()}: {account.lost_outbound[:20]}"
        assert not load.refused, load.refused[:5]
        assert still_open == 0
    finally:
        await stack.stop()


async def test_b_a_second_worker_joining_mid_stream_loses_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, workers=2, client_retry_s=240)
    await stack.start(act=True, delay_s=(0.05, 0.3), start_workers=1)
    try:
        load = Load(stack, dossiers=150, per_second=5)
        playing = load.start()
        await asyncio.sleep(10)
        stack.spawn(1)
        await stack.wait_ready(1, 240)
        await playing
        still_open = await settle(stack, load.codes, 180)
        account = await take_account(stack)
        print(f"\nscenario b: {account.summary()} dossiers={len(load.codes)} open={still_open}")
        assert not account.lost_events, f"{account.summary()}: {account.lost_events[:20]}\n{stack.tail()}"
        assert not account.lost_outbound, f"{account.summary()}: {account.lost_outbound[:20]}"
        assert still_open == 0
    finally:
        await stack.stop()
