"""Relay figures on this machine: result-return latency at 50 and 500 events/s, and router throughput next to
a bare aiokafka consume-and-produce loop on the same broker, in the same run.

    .venv/bin/python -m benchmarks.relay_bench [--quick]

Needs the local broker (`lienthong kafka up`). Each run uses fresh topics (a unique prefix) and prints a table.

Latency: a land registry officer accepts handoffs (POST, signed) at a fixed rate; the relay forwards each
acceptance to the one-stop-shop, whose simulated system records the arrival. Latency = arrival - POST start,
both on this machine's clock; at 500 events/s also with the flows split over two workers (the relay in one,
the watchdog and the monitor in another, LIENTHONG_FLOWS). Throughput: dossier events pre-loaded on the event
log are routed by a fresh worker; events/s = routed events / (last output record time - first output record
time). The baseline loop reads the same records and writes each to another topic (acks=all), timed the same
way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from schemas.codec import to_kafka
from schemas.events import TZ
from services.relay.auth import signed_headers
from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from simulators.processes import Process, free_port
from simulators.stack import Stack


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def open_dossiers(stack: Stack, n: int, tag: str) -> list[tuple[str, str]]:
    """n dossiers handed to the land registry (32 at a time, each in order); returns (code, handoff id) once
    all are routed."""
    one_stop = stack.agencies["one-stop"]
    now = datetime.now(TZ)
    version = 2
    gate = asyncio.Semaphore(32)
    done = 0

    async def one(i: int) -> tuple[str, str]:
        nonlocal done
        code = f"BENCH{tag}-{now:%y%m%d}-{i:05d}"
        received = dossier_received(code, LAND_TRANSFER, now)
        hid = f"{code}-lc"
        async with gate:
            await one_stop.post_event(received)
            await one_stop.post_event(
                handoff_requested(received, "land-check", "land-registry", handoff_id=hid, workflow_version=version)
            )
        done += 1
        if done % 500 == 0:
            print(f"    opened {done}/{n} dossiers", flush=True)
        return code, hid

    opened = await asyncio.gather(*(one(i) for i in range(n)))
    await stack.wait_for(
        lambda: len(stack.received("land-registry")) >= n, timeout_s=120, what="handoffs at the land registry"
    )
    return list(opened)


class LeanClient:
    """The land registry's system as a load generator: the same signed task POST as the reference client
    (:mod:`services.client`, httpx), sent with aiohttp, which costs this process a fraction of the CPU. On this
    two-core machine the generator shares the cores with the worker and the broker, so its own cost is part
    of what limits the rate achieved; the table gives both clients."""

    def __init__(self, url: str, key_id: str, secret: str) -> None:
        self.url, self.key_id, self.secret = url, key_id, secret
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LeanClient:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def accept(self, code: str, hid: str) -> tuple[int, str | None]:
        assert self.session is not None
        path = f"/v1/dossiers/{code}/handoffs/{hid}/accept"
        body = json.dumps({"officer": "Cán bộ"}, ensure_ascii=False).encode()
        headers = signed_headers(self.key_id, self.secret, "POST", path, body)
        headers |= {"Content-Type": "application/json", "Idempotency-Key": f"{hid}-accept"}
        try:
            async with self.session.post(self.url + path, data=body, headers=headers) as response:
                if response.status != 202:
                    return response.status, None
                doc = await response.json(content_type=None)
                return response.status, doc.get("id")
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return 0, None  # counted as refused: this client does not retry (the reference client does)


async def latency_at(stack: Stack, rate: float, seconds: float, tag: str, lean: bool = True) -> dict[str, Any]:
    n = int(rate * seconds)
    print(f"  latency at {rate:g} events/s: opening {n} dossiers ...", flush=True)
    opened = await open_dossiers(stack, n, tag)
    return await offer(stack, opened, rate, lean)


async def offer(stack: Stack, opened: list[tuple[str, str]], rate: float, lean: bool = True) -> dict[str, Any]:
    """The land registry accepts each of the ``opened`` handoffs, ``rate`` per second; the latency of each
    acceptance's arrival at the one-stop-shop."""
    n, seconds = len(opened), len(opened) / rate
    land = stack.agencies["land-registry"]
    one_stop = stack.agencies["one-stop"]
    sent: dict[str, float] = {}
    statuses: list[int] = []
    answered: list[float] = []  # POST -> 202 (ms): the ingress alone, signed request to durable and routed
    in_flight = asyncio.Semaphore(64)  # an agency system's connection pool: beyond it, requests queue
    key_id, secret = stack.keys["land-registry"]

    async with LeanClient(stack.worker_url(0), key_id, secret) as client:

        async def accept(i: int, code: str, hid: str) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            async with in_flight:
                t0 = time.time()
                if lean:
                    status, event_id = await client.accept(code, hid)
                else:
                    response = await land.post_task(code, hid, "vn.lienthong.handoff.accepted", {"officer": "Cán bộ"})
                    status = response.status_code
                    event_id = response.json()["id"] if status == 202 else None
                statuses.append(status)
                if status == 202:
                    answered.append((time.time() - t0) * 1000)
                if event_id is not None:
                    sent[event_id] = t0

        client_name = "aiohttp" if lean else "reference (httpx)"
        print(f"  latency at {rate:g} events/s: posting {n} acceptances over {seconds:g} s ({client_name}) ...")
        start = time.monotonic()
        cpu0 = time.process_time()
        await asyncio.gather(*(accept(i, c, h) for i, (c, h) in enumerate(opened)))
        achieved = n / (time.monotonic() - start)
        generator_cpu_ms = (time.process_time() - cpu0) * 1000 / n
    await stack.wait_for(
        lambda: sum(1 for r in one_stop.received if r.event_id in sent) >= len(sent),
        timeout_s=120,
        what="acceptances at the one-stop-shop",
    )
    lat = [(r.wall - sent[r.event_id]) * 1000 for r in one_stop.received if r.event_id in sent]
    return {
        "rate": rate,
        "client": "aiohttp" if lean else "httpx",
        "gen_ms": generator_cpu_ms,
        "achieved": achieved,
        "n": len(lat),
        "p50": _pct(lat, 0.5),
        "p99": _pct(lat, 0.99),
        "max": max(lat),
        "refused": sum(1 for s in statuses if s != 202),
        "a50": _pct(answered, 0.5),
        "a99": _pct(answered, 0.99),
    }


def _preload(bootstrap: str, topic: str, dossiers: int) -> int:
    """Dossier events (received + handoff) on ``topic``, as the ingress would write them."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    now = datetime.now(TZ)
    count = 0
    for i in range(dossiers):
        received = dossier_received(dossier_code(i, now).replace("H41", "BTP"), LAND_TRANSFER, now)
        handoff = handoff_requested(
            received, "land-check", "land-registry", workflow_version=2, handoff_id=f"{received.subject}-lc"
        )
        for event in (received, handoff):
            key, value, headers = to_kafka(event)
            producer.send(topic, key=key, value=value, headers=headers)
            count += 1
        if i % 2000 == 1999:
            print(f"    preloaded {count} events", flush=True)
    producer.flush()
    producer.close()
    return count


def _span(bootstrap: str, topic: str, expected: int, timeout_s: float = 300) -> tuple[float, int]:
    """Seconds between the first and last record of ``topic`` once it holds ``expected`` records."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    deadline = time.monotonic() + timeout_s
    last_print = 0.0
    while True:
        total = sum(consumer.end_offsets(parts).values())
        if total >= expected or time.monotonic() > deadline:
            break
        if time.monotonic() - last_print > 3:
            print(f"    {total}/{expected} records on {topic}", flush=True)
            last_print = time.monotonic()
        time.sleep(0.5)
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    stamps: list[int] = []
    while len(stamps) < total:
        batch = consumer.poll(timeout_ms=2000)
        if not batch:
            break
        stamps.extend(r.timestamp for records in batch.values() for r in records)
    consumer.close()
    return (max(stamps) - min(stamps)) / 1000, len(stamps)


async def _bare_loop(bootstrap: str, source: str, sink: str, expected: int) -> None:
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=f"bare-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    done = 0
    try:
        async for record in consumer:
            await producer.send(sink, key=record.key, value=record.value)
            done += 1
            if done >= expected:
                break
        await producer.flush()
    finally:
        await consumer.stop()
        await producer.stop()


async def _routed(bootstrap: str, workdir: Path, dossiers: int, flows: str) -> float:
    """Events/s through a fresh worker running ``flows`` over ``dossiers`` pre-loaded dossiers."""
    stack = Stack(bootstrap=bootstrap, workdir=workdir, extra={"LIENTHONG_FLOWS": flows})
    applied = stack.cli("topics", "apply")
    assert applied.returncode == 0, applied.stderr
    events = _preload(bootstrap, stack.topic("events"), dossiers)
    print(f"  throughput: a worker running {flows} ...", flush=True)
    await stack.start(act=False)
    # the router writes one handoff per dossier to the land registry's outbound topic
    seconds, routed = _span(bootstrap, stack.topic("outbound.land-registry"), dossiers)
    await stack.stop()
    return events * routed / dossiers / seconds if seconds else float("nan")


async def throughput(bootstrap: str, workdir: Path, dossiers: int) -> dict[str, Any]:
    print(f"  throughput: {dossiers} dossiers ({2 * dossiers} events) per run", flush=True)
    stack = Stack(bootstrap=bootstrap, workdir=workdir / "bare")
    assert stack.cli("topics", "apply").returncode == 0
    events = _preload(bootstrap, stack.topic("events"), dossiers)
    print("  throughput: bare aiokafka consume-and-produce loop ...", flush=True)
    sink = stack.topic("bare")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(sink, 6, 1)])
    admin.close()
    await _bare_loop(bootstrap, stack.topic("events"), sink, events)
    bare_s, bare_n = _span(bootstrap, sink, events)
    await stack.stop()
    return {
        "events": events,
        "bare_eps": bare_n / bare_s if bare_s else float("nan"),
        "relay_eps": await _routed(bootstrap, workdir / "relay", dossiers, "relay"),
        "all_eps": await _routed(bootstrap, workdir / "all", dossiers, "relay,watchdog,monitor"),
    }


async def _split_latency(bootstrap: str, workdir: Path, rate: float, seconds: float) -> dict[str, Any]:
    """The same measurement with the flows in two processes: the relay in one worker, the watchdog and the monitor
    in another (its own consumer group and data directory), as LIENTHONG_FLOWS allows."""
    stack = Stack(bootstrap=bootstrap, workdir=workdir / "relay", extra={"LIENTHONG_FLOWS": "relay"})
    await stack.start(act=False, retry={"max_attempts": 20})
    port = free_port()
    (workdir / "watch").mkdir(parents=True, exist_ok=True)
    watch = Process(
        ["-m", "services.cli", "worker"],
        env={
            **stack.env,
            "LIENTHONG_FLOWS": "watchdog,monitor",
            "LIENTHONG_APP_ID": f"{stack.group}-watch",
            "LIENTHONG_DATA_DIR": str(workdir / "watch"),
            "LIENTHONG_CREDENTIALS_FILE": str(stack.workdir / "credentials.json"),
            "LIENTHONG_WEB_PORT": str(port),
        },
        log=workdir / "watch" / "worker.log",
    )
    try:
        await asyncio.to_thread(watch.wait_http, f"http://127.0.0.1:{port}/readyz", 90.0)
        return await latency_at(stack, rate, seconds, "C")
    finally:
        await asyncio.to_thread(watch.stop)
        await stack.stop(f"{stack.group}-watch")


async def main(quick: bool) -> int:
    bootstrap = os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    workdir = Path(tempfile.mkdtemp(prefix="lienthong-bench-"))
    print(f"relay benchmark on {bootstrap} (python {sys.version.split()[0]}, {os.cpu_count()} cores)", flush=True)
    stack = Stack(bootstrap=bootstrap, workdir=workdir / "lat")
    await stack.start(act=False, retry={"max_attempts": 20})
    try:
        rows = [
            await latency_at(stack, 50, 4 if quick else 10, "A"),
            await latency_at(stack, 500, 2 if quick else 5, "B", lean=False),
            await latency_at(stack, 500, 2 if quick else 5, "B2"),
        ]
    finally:
        await stack.stop()
    print("  latency at 500 events/s with the flows split over two workers ...", flush=True)
    rows.append({**await _split_latency(bootstrap, workdir / "split", 500, 2 if quick else 5), "split": True})
    thru = await throughput(bootstrap, workdir, 2000 if quick else 10000)

    print()
    print("Result-return latency: agency POST -> one-stop-shop endpoint (ms); the ingress alone: POST -> 202 (ms)")
    print(
        f"{'workers':<28} {'client':<8} {'client CPU ms/req':>17} {'target ev/s':>12} {'achieved':>9} {'ratio':>6}"
        f" {'n':>6} {'p50':>8} {'p99':>8} {'max':>8} {'refused':>8} {'202 p50':>8} {'202 p99':>8}"
    )
    for r in rows:
        workers = "relay | watchdog+monitor" if r.get("split") else "one (all three flows)"
        print(
            f"{workers:<28} {r['client']:<8} {r['gen_ms']:>17.2f} {r['rate']:>12g} {r['achieved']:>9.0f}"
            f" {r['achieved'] / r['rate']:>6.2f} {r['n']:>6} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f}"
            f" {r['refused']:>8} {r['a50']:>8.1f} {r['a99']:>8.1f}"
        )
    print()
    print("Throughput (events/s), same broker, same run")
    print(f"{'loop':<40} {'events':>8} {'ev/s':>10} {'ratio':>7}")
    print(f"{'bare aiokafka consume -> produce':<40} {thru['events']:>8} {thru['bare_eps']:>10.0f} {1.0:>7.2f}")
    for label, key in (
        ("worker, relay only (route + ledger)", "relay_eps"),
        ("worker, relay + watchdog + monitor", "all_eps"),
    ):
        ratio = thru[key] / thru["bare_eps"]
        print(f"{label:<40} {thru['events']:>8} {thru[key]:>10.0f} {ratio:>7.2f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    sys.exit(asyncio.run(main(parser.parse_args().quick)))
