"""Workers killed, restarted, added and rolled under steady load: nothing accepted is ever lost.

Each scenario plays dossiers through a balancer in front of the workers (the agencies retry a 503 or a
refused connection, as integrators do), injects its fault, lets the day finish, and accounts for every record
on Kafka, independently and with ``lienthong audit``: each event routed or quarantined, each outbound record
delivered or dead-lettered, each alert that fell due raised. Repeats that receivers dropped by
``Idempotency-Key`` are reported, not failures.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from simulators.stack import Stack
from tests.faults.support import play


async def test_a_worker_killed_under_load_and_restarted_within_the_session_timeout(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, balanced=True, client_retry_s=120)
    await stack.start(act=True, delay_s=(0.05, 0.3))

    async def kill_and_restart(s: Stack) -> float:
        s.kill_worker(0)
        killed = time.monotonic()
        await asyncio.sleep(2)
        s.spawn(0)
        await s.wait_ready(0, 120)
        return time.monotonic() - killed

    try:
        outcome = await play(stack, "a: kill -9 and restart", kill_and_restart, dossiers=40, per_second=5)
        outcome.check()
        # static membership: the restarted worker got its partitions back without waiting out a rebalance
        assert outcome.recovery_s is not None
        assert outcome.recovery_s < 15
    finally:
        await stack.stop()


async def test_b_a_second_worker_joining_mid_stream(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, workers=2, client_retry_s=120)
    await stack.start(act=True, delay_s=(0.05, 0.3), start_workers=1)

    async def join(s: Stack) -> float:
        started = time.monotonic()
        s.spawn(1)
        await s.wait_ready(1, 120)
        return time.monotonic() - started

    try:
        (await play(stack, "b: a worker joins", join, dossiers=40, per_second=5)).check()
    finally:
        await stack.stop()


async def test_c_one_of_two_workers_killed_for_good(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, workers=2, client_retry_s=120)
    await stack.start(act=True, delay_s=(0.05, 0.3))

    async def kill_one(s: Stack) -> float:
        s.kill_worker(1)
        killed = time.monotonic()
        # its partitions move to worker 0 once its session expires: worker 0 then holds all six
        await _holds_all(s, 0)
        return time.monotonic() - killed

    try:
        (await play(stack, "c: one of two killed", kill_one, dossiers=40, per_second=5)).check()
    finally:
        await stack.stop()


async def test_d_a_rolling_restart_of_two_workers(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(bootstrap=kafka_bootstrap, workdir=tmp_path, workers=2, client_retry_s=120)
    await stack.start(act=True, delay_s=(0.05, 0.3))

    async def roll(s: Stack) -> float:
        started = time.monotonic()
        for i in (0, 1):
            await s.halt(i)  # SIGTERM: the batches in flight finish and are committed
            s.spawn(i)
            await s.wait_ready(i, 120)
            await asyncio.sleep(2)
        return time.monotonic() - started

    try:
        (await play(stack, "d: rolling restart", roll, dossiers=40, per_second=5)).check()
    finally:
        await stack.stop()


async def _holds_all(stack: Stack, i: int, partitions: int = 6, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(await _assigned(stack, i)) < partitions:  # noqa: ASYNC110 - polling another process over HTTP
        assert time.monotonic() < deadline, f"worker {i} never held all {partitions} partitions"
        await asyncio.sleep(0.5)


async def _assigned(stack: Stack, i: int) -> list[str]:
    import httpx

    async with httpx.AsyncClient(timeout=5) as client:
        try:
            state = (await client.get(f"{stack.worker_url(i)}/readyz")).json()
        except httpx.HTTPError:
            return []
    partitions: list[str] = state["processors"]["events"]["partitions"]
    return partitions
