"""The broker goes away under load: the ingress says 503 (never 202 for what Kafka did not store), the
workers wait and go on, and nothing accepted is lost; with three brokers one may die without anyone noticing.

These scenarios run their own Kafka (ports 19201 and 19211-19213, below this machine's ephemeral range) so
killing it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.ops.kafka_local import LocalCluster
from simulators.stack import Stack
from tests.faults.support import accepted_but_missing, play


@pytest.fixture
def one_broker(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path / "kafka", nodes=1, base_port=19201, heap="512m")
    cluster.up()
    yield cluster
    cluster.reset()


@pytest.fixture
def three_brokers(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path / "kafka3", nodes=3, base_port=19211, heap="512m")
    cluster.up()
    yield cluster
    cluster.reset()


async def test_with_the_broker_gone_the_ingress_answers_503_in_bounded_time_and_readyz_says_not_ready(
    one_broker: LocalCluster, tmp_path: Path
) -> None:
    stack = Stack(
        bootstrap=one_broker.bootstrap, workdir=tmp_path / "stack", extra={"LIENTHONG_INGRESS_TIMEOUT_S": "3"}
    )
    await stack.start(act=False)
    one_stop = stack.agencies["one-stop"]
    try:
        one_broker.kill(1)
        started = time.monotonic()
        from tests.faults.support import Load

        load = Load(stack, dossiers=1, per_second=1)
        response = await one_stop.post_event(_received(load))
        took = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.headers.get("Retry-After"), response.headers
        assert took < 8, f"503 took {took:.1f}s"
        async with httpx.AsyncClient(timeout=10) as client:
            deadline = time.monotonic() + 10
            while (await client.get(f"{stack.url}/readyz")).status_code == 200:
                assert time.monotonic() < deadline, "readyz still says ready with the broker gone"
                await asyncio.sleep(0.5)
            assert (await client.get(f"{stack.url}/readyz")).json()["broker"] == "unreachable"
        # An operator stops the worker while the broker is still gone: it exits within 10 s, not at SIGKILL.
        halted = time.monotonic()
        code = await stack.halt(0)
        took = time.monotonic() - halted
        assert took < 10, f"SIGTERM with the broker gone took {took:.1f}s"
        assert code == 0, stack.tail()
        one_broker.up()
        stack.spawn(0)
        await stack.wait_ready(0, 120)
        again = await one_stop.post_event(_received(load))
        assert again.status_code == 202, again.text
        assert accepted_but_missing(stack) == []
    finally:
        await stack.stop()


def _received(load: object) -> object:
    from datetime import datetime

    from schemas.events import TZ
    from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received

    return dossier_received(dossier_code(9001, datetime.now(TZ)) + "-b", LAND_TRANSFER, datetime.now(TZ))


async def test_e_the_broker_killed_under_load_and_restarted(one_broker: LocalCluster, tmp_path: Path) -> None:
    stack = Stack(bootstrap=one_broker.bootstrap, workdir=tmp_path / "stack", balanced=True, client_retry_s=180)
    await stack.start(act=True, delay_s=(0.05, 0.3))

    async def outage(s: Stack) -> float:
        one_broker.kill(1)
        killed = time.monotonic()
        await asyncio.sleep(5)
        one_broker.up()
        await s.wait_ready(0, 120)
        return time.monotonic() - killed

    try:
        outcome = await play(stack, "e: broker kill -9 and restart", outage, dossiers=40, per_second=5)
        outcome.check()
        assert accepted_but_missing(stack) == []
    finally:
        await stack.stop()


async def test_f_three_brokers_one_killed(three_brokers: LocalCluster, tmp_path: Path) -> None:
    stack = Stack(
        bootstrap=three_brokers.bootstrap,
        workdir=tmp_path / "stack",
        workers=2,
        client_retry_s=180,
        extra={"LIENTHONG_REPLICATION_FACTOR": "3"},
    )
    await stack.start(act=True, delay_s=(0.05, 0.3))
    checked = stack.cli("topics", "apply", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # RF 3 with min.insync.replicas 2: no drift

    async def lose_one(s: Stack) -> float:
        three_brokers.kill(2)
        await asyncio.sleep(6)  # two of three in sync: acks=all still holds (min.insync.replicas = 2)
        started = time.monotonic()
        three_brokers.up()
        return time.monotonic() - started

    try:
        outcome = await play(stack, "f: three brokers, one killed", lose_one, dossiers=40, per_second=5)
        outcome.check()
        assert accepted_but_missing(stack) == []
    finally:
        await stack.stop()
