"""Watchdog figures on this machine, each next to a baseline measured in the same run.

    .venv/bin/python -m benchmarks.watchdog_bench [--quick] [--no-kafka]

1. Resident memory with 100,000 and 1,000,000 open handoffs: the watchdog's whole state as the worker keeps it
   (every dossier's row and its wake-up in RocksDB with the worker's table options, after a tick over the 1 % due),
   the deadline index alone, and the two in-memory designs the index replaces: a map of every open handoff (scanned
   each tick) and a per-partition heap of wake-ups. One fresh process each.
2. One timer tick at 1,000,000 open handoffs with 1 % due: the engine's tick over RocksDB (range scan of the due
   wake-ups, load, evaluate every rule, write back, delete, confirm the sent alerts), then an idle tick; against a
   naive full scan of an in-memory map and of a RocksDB table of the open handoffs. Changelog sends are not
   included (no Kafka here).
3. Recovery: the index's, the states', the ledgers' and the timelines' changelogs (1,000,000 records each, one per
   open dossier) produced to Kafka; a real worker started on them, timed to /readyz, with its resident memory and
   the time until the 1 % due have their alerts; baselines: bare consume-into-RocksDB loops over the same records
   and an in-memory heap rebuilt from the index; the first tick after restore and the warm restart (local RocksDB kept).
4. Alert delay after a deadline, through the real worker (router + watchdog, Kafka, 1 s tick): the fake clock runs
   at real speed from a working afternoon; 300 handoffs become "unacknowledged" over 30 s; delay = arrival of the
   alert on <prefix>.alerts (consumer clock) - the real instant the fake clock crossed the deadline.

Needs the local broker for 3 and 4 (`lienthong kafka up`); --no-kafka runs 1 and 2 only; --quick divides sizes by 10.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=TZ)  # Monday 15:00: the unacknowledged deadline of the template dossier
PARTITIONS = 6


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def code_of(i: int) -> str:
    return f"000.00.20.H41-260302-{i:07d}"


def partition_of(i: int) -> int:
    return i % PARTITIONS


def wake_up(i: int, due_every: int) -> int:
    """Unix millisecond of dossier i's wake-up: every ``due_every``-th is due at NOW, the rest over 30 days."""
    now_ms = int(NOW.timestamp() * 1000)
    if i % due_every == 0:
        return now_ms
    return now_ms + 60_000 + (i * 7919) % (30 * 86400) * 1000


# -- RocksDB storage (rocksdict, raw bytes, the buffers the worker's stores use) ------------------------------------
class RocksStorage:
    """The engine's Storage over one RocksDB per partition."""

    def __init__(self, path: Path) -> None:
        from rocksdict import Options, Rdict

        path.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_write_buffer_size(8 * 1024 * 1024)
        options.set_max_write_buffer_number(2)
        self.dbs = {p: Rdict(str(path / f"p{p}.db"), options=options) for p in range(PARTITIONS)}

    def get(self, partition: int, key: bytes) -> bytes | None:
        value = self.dbs[partition].get(key)
        return bytes(value) if value is not None else None

    def put(self, partition: int, key: bytes, value: bytes) -> None:
        self.dbs[partition].put(key, value)

    def delete(self, partition: int, key: bytes) -> None:
        self.dbs[partition].delete(key)

    def scan(self, partition: int, lo: bytes, hi: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        for key, value in self.dbs[partition].items(from_key=lo):
            if key >= hi or len(out) >= limit:
                break
            out.append((bytes(key), bytes(value)))
        return out

    def partitions(self) -> list[int]:
        return list(range(PARTITIONS))

    def load(self, rows: Any, progress: str = "") -> int:
        """Batched writes (as a changelog restore does): rows = iterable of (partition, key, value)."""
        import rocksdict

        batches = {p: rocksdict.WriteBatch(raw_mode=True) for p in range(PARTITIONS)}
        count = 0
        for partition, key, value in rows:
            batches[partition].put(key, value)
            count += 1
            if count % 200_000 == 0:
                for p, batch in batches.items():
                    self.dbs[p].write(batch)
                batches = {p: rocksdict.WriteBatch(raw_mode=True) for p in range(PARTITIONS)}
                if progress:
                    print(f"    {progress}: {count:,} written", flush=True)
        for p, batch in batches.items():
            self.dbs[p].write(batch)
        return count

    def close(self) -> None:
        for db in self.dbs.values():
            db.close()


def index_rows(n: int, due_every: int) -> Any:
    for i in range(n):
        yield partition_of(i), b"%015d|%s" % (wake_up(i, due_every), code_of(i).encode()), b""


# -- 1. resident memory (one child process per figure) ----------------------------------------------------------------
def child_rss(kind: str, n: int, workdir: Path) -> dict[str, float]:
    base = rss_mb()
    started = time.perf_counter()
    keep: Any = None
    if kind == "index":
        store = RocksStorage(workdir / f"rss-{n}")
        store.load(index_rows(n, 100))
        hi = b"%015d|" % (int(NOW.timestamp() * 1000) + 1)
        due = sum(len(store.scan(p, b"", hi, 10**9)) for p in range(PARTITIONS))
        keep = (store, due)
    elif kind == "tables":  # the watchdog's whole state: every dossier's row and its wake-up, then a 1 % tick
        keep = _whole_watchdog(n, workdir / f"rss-tables-{n}")
    elif kind == "map":  # every open handoff and its due, scanned each tick
        keep = {f"{code_of(i)}:H1": (wake_up(i, 100), code_of(i), "land-registry") for i in range(n)}
    elif kind == "heap":  # per-partition heaps of (instant, dossier): the in-memory index alternative
        heaps: list[list[tuple[int, str]]] = [[] for _ in range(PARTITIONS)]
        for i in range(n):
            heaps[partition_of(i)].append((wake_up(i, 100), code_of(i)))
        for h in heaps:
            heapq.heapify(h)
        keep = heaps
    return {"rss_mb": rss_mb(), "base_mb": base, "load_s": time.perf_counter() - started, "kept": float(bool(keep))}


def _whole_watchdog(n: int, path: Path) -> Any:
    """States and index in RocksDB with the worker's options, n open dossiers (a real state each), then one tick
    over the 1 % due: what a worker holding n open handoffs keeps resident."""
    states, index = RocksStorage(path / "states"), RocksStorage(path / "index")
    states.load(state_rows(range(n)))
    index.load(index_rows(n, 100))
    engine = bench_engine(path, states, index)
    alerts = tick_all(engine)
    assert alerts >= n // 100, alerts
    return engine


def measure_rss(sizes: list[int], workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        for kind in ("tables", "index", "map", "heap"):
            print(f"  rss: {kind} with {n:,} open handoffs (fresh process) ...", flush=True)
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.watchdog_bench", "--child", kind, str(n), str(workdir)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append({"kind": kind, "n": n, **json.loads(out.stdout.strip().splitlines()[-1])})
    return rows


# -- 2. one tick at 1M open, 1 % due --------------------------------------------------------------------------------
def template_state() -> tuple[str, bytes]:
    """A real dossier's state, as the engine stores it: received Monday 08:00, handed to the land registry at 09:00,
    not accepted; its earliest wake-up is the unacknowledged deadline at 15:00."""
    from schemas import default_calendar, default_workflows, new_event
    from services.relay.routing import RoutingContext
    from services.watchdog import ManualClock, Watchdog, load_rules
    from services.watchdog.store import MemoryStorage

    cal = default_calendar()
    code = "TEMPLATE-260302-0000000"
    t0 = datetime(2026, 3, 2, 8, tzinfo=TZ)
    tables = {name: MemoryStorage() for name in ("states", "index", "late", "notices")}
    engine = Watchdog(RoutingContext(default_workflows(), cal), load_rules(), ManualClock(t0), **tables)  # type: ignore[arg-type]
    received = new_event(
        "vn.lienthong.dossier.received",
        source="one-stop",
        subject=code,
        time=t0,
        data={
            "procedure_code": "1.004227.000.00.00.H42",
            "workflow_version": 2,
            "receiving_unit": "one-stop",
            "channel": "counter",
            "received_at": t0,
            "appointment_at": cal.add(t0, cal.days(8)),
            "applicant": {"name": "Nguyễn Thị Hồng"},
        },
    )
    handoff = new_event(
        "vn.lienthong.handoff.requested",
        source="one-stop",
        subject=code,
        time=t0 + timedelta(hours=1),
        data={
            "handoff_id": "H1",
            "step_id": "land-check",
            "from_agency": "one-stop",
            "to_agency": "land-registry",
            "due": t0 + timedelta(days=3),
            "procedure_code": "1.004227.000.00.00.H42",
            "workflow_version": 2,
        },
    )
    engine.on_event(0, received)
    engine.on_event(0, handoff)
    raw = tables["states"].get(0, code.encode())
    assert raw is not None
    return code, raw


def template_rows() -> tuple[bytes, bytes]:
    """The template dossier's ledger (the router's store) and timeline (the monitor's), as stored."""
    from services.monitor.timeline import TimelineEntry, append
    from services.watchdog.state import WatchState

    code, raw = template_state()
    state = WatchState.model_validate_json(raw)
    timeline = None
    for i, (kind, at) in enumerate(
        (("dossier.received", state.ledger.received_at), ("handoff.requested", state.ledger.last_event_at))
    ):
        entry = TimelineEntry(id=f"e{i}", at=at or NOW, type=f"vn.lienthong.{kind}", source="one-stop")
        timeline = append(timeline, entry) or timeline
    assert timeline is not None
    return state.ledger.model_dump_json().encode(), timeline


def _rows_like(template: bytes, ids: Any) -> Any:
    """(partition, key, value) of ``template`` (a row of the template dossier) for each dossier number in ``ids``."""
    template_code = template_state()[0].encode()
    for i in ids:
        yield partition_of(i), code_of(i).encode(), template.replace(template_code, code_of(i).encode())


def state_rows(ids: Any) -> Any:
    """(partition, key, value) of a real dossier state for each dossier number in ``ids``."""
    return _rows_like(template_state()[1], ids)


def bench_engine(path: Path, states: RocksStorage, index: RocksStorage) -> Any:
    """The engine over RocksDB tables, its clock at NOW (when the 1 % are due)."""
    from schemas import default_calendar, default_workflows
    from services.relay.routing import RoutingContext
    from services.watchdog import ManualClock, Watchdog, load_rules

    return Watchdog(
        RoutingContext(default_workflows(), default_calendar()),
        load_rules(),
        ManualClock(NOW),
        states=states,
        index=index,
        late=RocksStorage(path / "late"),
        notices=RocksStorage(path / "notices"),
    )


def tick_all(engine: Any) -> int:
    """One tick over every partition, each batch confirmed as the agent does once Kafka acknowledged it."""
    alerts = 0
    for p in range(PARTITIONS):
        more = True
        while more:
            out, more = engine.on_tick(p, NOW)
            engine.confirm(out)
            alerts += len(out.alerts)
    return alerts


def measure_tick(n: int, workdir: Path) -> dict[str, Any]:
    from services.watchdog.store import index_bound

    due_every = 100
    path = workdir / f"tick-{n}"
    shutil.rmtree(path, ignore_errors=True)
    index = RocksStorage(path / "index")
    states = RocksStorage(path / "states")
    print(f"  tick: loading {n:,} wake-ups into the index ...", flush=True)
    index.load(index_rows(n, due_every), "index")
    due_ids = range(0, n, due_every)
    print(f"  tick: {len(due_ids):,} real dossier states for the due wake-ups ...", flush=True)
    states.load(state_rows(due_ids))
    engine = bench_engine(path, states, index)
    hi = index_bound(NOW)
    started = time.perf_counter()
    found = sum(len(index.scan(p, b"", hi, 10**9)) for p in range(PARTITIONS))
    scan_s = time.perf_counter() - started
    print(f"  tick: the engine's tick ({found:,} due) ...", flush=True)
    started = time.perf_counter()
    alerts = tick_all(engine)
    tick_s = time.perf_counter() - started
    started = time.perf_counter()
    for p in range(PARTITIONS):
        engine.on_tick(p, NOW)
    idle_s = time.perf_counter() - started

    print(f"  tick: naive full scans of {n:,} open handoffs ...", flush=True)
    now_s = int(NOW.timestamp() * 1000)
    table = RocksStorage(path / "handoffs")
    table.load(
        (
            partition_of(i),
            f"{code_of(i)}:H1".encode(),
            json.dumps({"dossier": code_of(i), "to": "land-registry", "due": wake_up(i, due_every)}).encode(),
        )
        for i in range(n)
    )
    mapping = {f"{code_of(i)}:H1": (wake_up(i, due_every), code_of(i)) for i in range(n)}
    started = time.perf_counter()
    naive_map = [h for h, (due, _) in mapping.items() if due <= now_s]
    map_s = time.perf_counter() - started
    started = time.perf_counter()
    naive_table = 0
    for p in range(PARTITIONS):
        for _, value in table.dbs[p].items():
            if json.loads(value)["due"] <= now_s:
                naive_table += 1
    table_s = time.perf_counter() - started
    assert len(naive_map) == naive_table == found
    for store in (index, states, engine.late, engine.notices, table):
        store.close()
    return {
        "n": n,
        "due": found,
        "alerts": alerts,
        "scan_s": scan_s,
        "tick_s": tick_s,
        "idle_s": idle_s,
        "map_s": map_s,
        "table_s": table_s,
        "per_dossier_ms": tick_s / max(found, 1) * 1000,
        "state_bytes": len(template_state()[1]),
    }


# -- 3. recovery from the changelog -----------------------------------------------------------------------------------
async def _produce(bootstrap: str, topic: str, rows: Any, label: str) -> tuple[int, float]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=512 * 1024, max_request_size=4 << 20
    )
    await producer.start()
    started = time.perf_counter()
    count = 0
    try:
        pending = []
        for partition, key, value in rows:
            pending.append(await producer.send(topic, key=key, value=value, partition=partition))
            count += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
            if count % 250_000 == 0:
                print(f"    {label}: {count:,} produced", flush=True)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count, time.perf_counter() - started


async def _consume(bootstrap: str, topic: str, apply: Any, label: str) -> tuple[int, float]:
    """Read ``topic`` from the beginning to its end, calling ``apply(records)`` per batch (a bare restore loop)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=4 << 20
    )
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    started = time.perf_counter()
    count, next_report = 0, 250_000
    try:
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            for tp, records in batch.items():
                apply(tp.partition, records)
                count += len(records)
            if count >= next_report:
                print(f"    {label}: {count:,} restored", flush=True)
                next_report += 250_000
    finally:
        await consumer.stop()
    return count, time.perf_counter() - started


def _create_topic(bootstrap: str, name: str) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics(
            [NewTopic(name, PARTITIONS, 1, topic_configs={"cleanup.policy": "compact", "max.message.bytes": "4194304"})]
        )
    finally:
        admin.close()


def _delete_topics(bootstrap: str, names: list[str]) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics(names)
    except Exception as exc:  # noqa: BLE001 - cleanup only
        print(f"    (could not delete {names}: {exc})")
    finally:
        admin.close()


async def measure_recovery(bootstrap: str, n: int, workdir: Path) -> dict[str, Any]:
    import rocksdict

    prefix = "bench" + uuid.uuid4().hex[:8]
    index_topic, state_topic = f"{prefix}.watchdog.index", f"{prefix}.watchdog.state"
    ledger_topic, timeline_topic = f"{prefix}.dossiers", f"{prefix}.monitor.timeline"
    for topic in (index_topic, state_topic, ledger_topic, timeline_topic):
        _create_topic(bootstrap, topic)
    try:
        print(f"  recovery: producing the index changelog ({n:,} records) ...", flush=True)
        produced, produce_s = await _produce(bootstrap, index_topic, index_rows(n, 100), "index changelog")
        path = workdir / "recovered"
        shutil.rmtree(path, ignore_errors=True)
        store = RocksStorage(path)

        def into_rocks(partition: int, records: list[Any]) -> None:
            batch = rocksdict.WriteBatch(raw_mode=True)
            for record in records:
                batch.put(record.key, record.value or b"")
            store.dbs[partition].write(batch)

        print("  recovery: restoring the index into RocksDB ...", flush=True)
        restored, rocks_s = await _consume(bootstrap, index_topic, into_rocks, "into RocksDB")
        hi = b"%015d|" % (int(NOW.timestamp() * 1000) + 1)
        started = time.perf_counter()
        first_due = sum(len(store.scan(p, b"", hi, 10**9)) for p in range(PARTITIONS))
        first_scan_s = time.perf_counter() - started
        store.close()
        started = time.perf_counter()
        reopened = RocksStorage(path)
        warm_due = sum(len(reopened.scan(p, b"", hi, 10**9)) for p in range(PARTITIONS))
        warm_s = time.perf_counter() - started
        reopened.close()
        assert warm_due == first_due

        heaps: list[list[tuple[int, str]]] = [[] for _ in range(PARTITIONS)]

        def into_heap(partition: int, records: list[Any]) -> None:
            for record in records:
                ms, _, code = record.key.partition(b"|")
                heaps[partition].append((int(ms), code.decode()))

        print("  recovery: rebuilding an in-memory heap from the same changelog ...", flush=True)
        heaped, heap_s = await _consume(bootstrap, index_topic, into_heap, "into a heap")
        started = time.perf_counter()
        for h in heaps:
            heapq.heapify(h)
        heap_s += time.perf_counter() - started

        template = template_state()[1]
        print(f"  recovery: producing {n:,} dossier states ({len(template)} bytes each) ...", flush=True)
        rows = state_rows(range(n))
        await _produce(bootstrap, state_topic, rows, "state changelog")
        states = RocksStorage(workdir / "recovered-states")

        def states_into_rocks(partition: int, records: list[Any]) -> None:
            batch = rocksdict.WriteBatch(raw_mode=True)
            for record in records:
                batch.put(record.key, record.value or b"")
            states.dbs[partition].write(batch)

        print("  recovery: baseline, a bare consume-into-RocksDB loop over the state changelog ...", flush=True)
        states_restored, states_s = await _consume(bootstrap, state_topic, states_into_rocks, "states into RocksDB")
        # the router's ledger and the monitor's timeline of the same open dossiers: a worker restores them too
        ledger, timeline = template_rows()
        others_s = 0.0
        for topic, template_row, label in ((ledger_topic, ledger, "ledgers"), (timeline_topic, timeline, "timelines")):
            print(f"  recovery: producing {n:,} {label} ({len(template_row)} bytes each) ...", flush=True)
            await _produce(bootstrap, topic, _rows_like(template_row, range(n)), f"{label} changelog")
            print(f"  recovery: baseline, a bare consume-into-RocksDB loop over the {label} ...", flush=True)
            states = RocksStorage(workdir / f"recovered-{label}")
            others_s += (await _consume(bootstrap, topic, states_into_rocks, f"{label} into RocksDB"))[1]
            states.close()
            shutil.rmtree(workdir / f"recovered-{label}", ignore_errors=True)
        worker = await _worker_recovery(bootstrap, prefix, n, workdir / "worker")
    finally:
        _delete_topics(bootstrap, [index_topic, state_topic, ledger_topic, timeline_topic])
    return {
        "n": n,
        "produced": produced,
        "produce_s": produce_s,
        "restored": restored,
        "rocks_s": rocks_s,
        "first_scan_s": first_scan_s,
        "first_due": first_due,
        "warm_s": warm_s,
        "heap_s": heap_s,
        "heaped": heaped,
        "states_n": states_restored,
        "states_s": states_s,
        "others_s": others_s,
        "state_bytes": len(template),
        **worker,
    }


async def _worker_recovery(bootstrap: str, prefix: str, n: int, workdir: Path) -> dict[str, Any]:
    """A real worker started on the two changelogs: seconds until /readyz, its resident memory then, and
    the seconds until the 1 % of dossiers due at its clock's "now" have had their alert raised."""
    from kafka import KafkaConsumer, TopicPartition

    from services.watchdog.clock import write_clock_file
    from simulators.stack import Stack, drop_topics

    os.makedirs(workdir, exist_ok=True)
    write_clock_file(workdir / "clock.json", NOW)  # frozen at the wake-up instant of the due 1 %
    stack = Stack(bootstrap, workdir, prefix=prefix, extra={"LIENTHONG_CLOCK_FILE": str(workdir / "clock.json")})
    due = len(range(0, n, 100))
    print(f"  recovery: a worker restores {n:,} states and wake-ups from their changelogs ...", flush=True)
    started = time.monotonic()
    try:
        try:
            await stack.start(act=False, ready_timeout_s=1800)
        except Exception:
            print(f"  the worker did not become ready; its log ends:\n{stack.tail()}", flush=True)
            raise
        ready_s = time.monotonic() - started
        worker_rss = rss_mb(stack.worker.proc.pid) if stack.worker else float("nan")
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        tps = [TopicPartition(stack.topic("alerts"), p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        deadline, alerted = time.monotonic() + 300, set()
        while len(alerted) < due and time.monotonic() < deadline:  # one unacknowledged alert per due dossier
            for records in (await asyncio.to_thread(consumer.poll, 500)).values():
                docs = (json.loads(r.value) for r in records)
                alerted.update(d["subject"] for d in docs if d["type"] == "vn.lienthong.alert.raised")
        alerted_s = time.monotonic() - started
        consumer.close()
        after_rss = rss_mb(stack.worker.proc.pid) if stack.worker else float("nan")
    finally:
        await stack.stop()
        await asyncio.to_thread(drop_topics, stack.kafka, prefix, [stack.group])
    return {
        "worker_ready_s": ready_s,
        "worker_rss_mb": worker_rss,
        "worker_after_rss_mb": after_rss,
        "worker_alerted": len(alerted),
        "worker_due": due,
        "worker_alerted_s": alerted_s,
    }


# -- 4. alert delay through the worker --------------------------------------------------------------------------------
async def measure_delay(bootstrap: str, handoffs: int, spread_s: float, workdir: Path) -> dict[str, Any]:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    from schemas import default_calendar, new_event
    from schemas.codec import to_kafka
    from services.watchdog.clock import write_clock_file
    from simulators.stack import Stack

    class ClockedStack(Stack):
        @property
        def env(self) -> dict[str, str]:
            return {**super().env, "LIENTHONG_CLOCK_FILE": str(self.workdir / "clock.json")}

    cal = default_calendar()
    fake_start = datetime(2026, 3, 2, 14, 0, tzinfo=TZ)  # a Monday afternoon: office time flows with real time
    anchor = time.time()
    os.makedirs(workdir, exist_ok=True)
    write_clock_file(workdir / "clock.json", fake_start, rate=1.0, anchor=anchor)
    stack = ClockedStack(bootstrap, workdir)
    print("  delay: starting a worker with a real-speed fake clock ...", flush=True)
    await stack.start(act=False)
    alerts: dict[str, float] = {}
    stop = threading.Event()

    def listen() -> None:
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        tps = [TopicPartition(stack.topic("alerts"), p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=100).values():
                arrived = time.time()
                for record in records:
                    doc = json.loads(record.value)
                    if doc["type"] == "vn.lienthong.alert.raised" and doc["data"]["rule"] == "unacknowledged":
                        alerts.setdefault(doc["data"]["dossier_code"], arrived)
        consumer.close()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        fake_now = fake_start + timedelta(seconds=time.time() - anchor)
        first = fake_now + timedelta(seconds=15)
        deadlines: dict[str, datetime] = {}
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        for i in range(handoffs):
            code = f"000.00.20.H41-260302-{9000 + i:04d}"
            deadline = first + timedelta(seconds=spread_s * i / handoffs)
            requested = deadline - timedelta(hours=6)  # 4 office hours before, across the lunch break
            assert cal.add(cal.next_office_instant(requested), timedelta(hours=4)) == deadline
            at = requested - timedelta(minutes=30)
            received = new_event(
                "vn.lienthong.dossier.received",
                source="one-stop",
                subject=code,
                time=at,
                data={
                    "procedure_code": "1.004227.000.00.00.H42",
                    "workflow_version": 2,
                    "receiving_unit": "one-stop",
                    "channel": "online",
                    "received_at": at,
                    "appointment_at": cal.add(at, cal.days(8)),
                    "applicant": {"name": "Phạm Quốc Huy"},
                },
            )
            handoff = new_event(
                "vn.lienthong.handoff.requested",
                source="one-stop",
                subject=code,
                time=requested,
                data={
                    "handoff_id": f"{code}-lc",
                    "step_id": "land-check",
                    "from_agency": "one-stop",
                    "to_agency": "land-registry",
                    "due": requested + timedelta(days=3),
                    "procedure_code": "1.004227.000.00.00.H42",
                    "workflow_version": 2,
                },
            )
            for event in (received, handoff):
                key, value, headers = to_kafka(event)
                producer.send(stack.topic("events"), key=key, value=value, headers=headers)
            deadlines[code] = deadline
        producer.flush()
        producer.close()
        print(
            f"  delay: {handoffs} handoffs go unacknowledged over {spread_s:g} s from {first:%H:%M:%S} ...", flush=True
        )
        deadline_wall = anchor + (max(deadlines.values()) - fake_start).total_seconds()
        while time.time() < deadline_wall + 10 and len(alerts) < handoffs:
            await asyncio.sleep(1)
            print(f"    {len(alerts)}/{handoffs} alerts", flush=True)
        worker_rss = rss_mb(stack.worker.proc.pid) if stack.worker else float("nan")
    finally:
        stop.set()
        listener.join(5)
        await stack.stop()
    delays = [alerts[c] - (anchor + (d - fake_start).total_seconds()) for c, d in deadlines.items() if c in alerts]
    return {
        "n": handoffs,
        "got": len(delays),
        "early": sum(1 for d in delays if d < 0),
        "p50": pct(delays, 0.5),
        "p95": pct(delays, 0.95),
        "p99": pct(delays, 0.99),
        "max": max(delays, default=float("nan")),
        "mean": statistics.fmean(delays) if delays else float("nan"),
        "worker_rss_mb": worker_rss,
    }


# -- the table --------------------------------------------------------------------------------------------------------
def report(
    rss: list[dict[str, Any]] | None,
    tick: dict[str, Any] | None,
    rec: dict[str, Any] | None,
    delay: dict[str, Any] | None,
) -> None:
    if rss is not None:
        _report_rss(rss)
    if tick is not None:
        _report_tick(tick)
    _report_kafka(rec, delay, tick)


def _report_rss(rss: list[dict[str, Any]]) -> None:
    print()
    print(f"1. Resident memory of the process holding N open handoffs (MB; python alone ~{rss[0]['base_mb']:.0f} MB)")
    print(f"{'design':<46} {'N':>10} {'RSS MB':>8} {'load s':>7} {'vs index':>9}")
    for n in sorted({r["n"] for r in rss}):
        by = {r["kind"]: r for r in rss if r["n"] == n}
        labels = {
            "tables": "watchdog: states + index (RocksDB), 1 % tick",
            "index": "RocksDB deadline index (the watchdog)",
            "map": "baseline: in-memory map of open handoffs",
            "heap": "baseline: in-memory per-partition heap",
        }
        for kind in ("tables", "index", "map", "heap"):
            r = by[kind]
            ratio = r["rss_mb"] / by["index"]["rss_mb"]
            print(f"{labels[kind]:<46} {n:>10,} {r['rss_mb']:>8.0f} {r['load_s']:>7.1f} {ratio:>8.1f}x")


def _report_tick(tick: dict[str, Any]) -> None:
    print()
    print(f"2. One tick at {tick['n']:,} open handoffs, {tick['due']:,} due (1 %)")
    print(f"{'finding the due wake-ups':<62} {'ms':>10} {'vs index':>9}")
    for label, seconds in (
        ("index: range scan of the due wake-ups (the watchdog)", tick["scan_s"]),
        ("baseline: naive scan of an in-memory map", tick["map_s"]),
        ("baseline: naive scan of a RocksDB table + JSON decode", tick["table_s"]),
    ):
        print(f"{label:<62} {seconds * 1000:>10.1f} {seconds / tick['scan_s']:>8.1f}x")
    print(f"{'the whole tick':<62} {'ms':>10}")
    print(
        f"{'index: engine tick (' + format(tick['alerts'], ',') + ' alerts; load, evaluate, write, confirm)':<62}"
        f" {tick['tick_s'] * 1000:>10.1f}"
    )
    print(f"{'index: idle tick right after (nothing due)':<62} {tick['idle_s'] * 1000:>10.1f}")
    print(
        f"   per woken dossier: {tick['per_dossier_ms']:.2f} ms (state {tick['state_bytes']} B); a naive tick that"
        f" evaluated every open dossier would take ~{tick['per_dossier_ms'] * tick['n'] / 1000:,.0f} s (derived)"
    )


def _report_kafka(rec: dict[str, Any] | None, delay: dict[str, Any] | None, tick: dict[str, Any] | None) -> None:
    if rec is not None:
        print()
        print(f"3. Recovery from the changelog ({rec['n']:,} open handoffs: one live wake-up each)")
        print(f"{'what':<62} {'s':>8} {'rec/s':>10}")

        def line(label: str, seconds: float, count: int | None = None, digits: int = 1) -> None:
            rate = f"{count / seconds:>10,.0f}" if count else f"{'':>10}"
            print(f"{label:<62} {seconds:>8.{digits}f} {rate}")

        line("produce the index changelog (setup, acks=all)", rec["produce_s"], rec["produced"])
        line("index: restore into RocksDB (batches)", rec["rocks_s"], rec["restored"])
        line("index: first tick after restore (scan from the start)", rec["first_scan_s"], digits=3)
        line("index: warm restart (local RocksDB kept): open + first scan", rec["warm_s"], digits=3)
        line("baseline: rebuild an in-memory heap from the changelog", rec["heap_s"], rec["heaped"])
        line(f"baseline: states, bare consume into RocksDB ({rec['states_n']:,})", rec["states_s"], rec["states_n"])
        line(
            f"baseline: ledgers and timelines, bare consume into RocksDB ({2 * rec['n']:,})",
            rec["others_s"],
            2 * rec["n"],
        )
        ratio = rec["worker_ready_s"] / (rec["states_s"] + rec["rocks_s"] + rec["others_s"])
        line("worker: start to /readyz, the four changelogs restored", rec["worker_ready_s"], 4 * rec["n"])
        print(
            f"   worker vs the bare loops over the same records: {ratio:.1f}x; resident memory once ready"
            f" {rec['worker_rss_mb']:,.0f} MB, {rec['worker_after_rss_mb']:,.0f} MB after its first tick raised"
            f" {rec['worker_alerted']:,}/{rec['worker_due']:,} alerts ({rec['worker_alerted_s']:.0f} s from start)"
        )
    if delay is not None:
        print()
        print(f"4. Alert delay after the deadline, real worker, 1 s tick ({delay['got']}/{delay['n']} alerts, s)")
        print(f"{'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'mean':>8} {'early':>6} {'worker RSS MB':>14}")
        print(
            f"{delay['p50']:>8.3f} {delay['p95']:>8.3f} {delay['p99']:>8.3f} {delay['max']:>8.3f} {delay['mean']:>8.3f}"
            f" {delay['early']:>6} {delay['worker_rss_mb']:>14.0f}"
        )
        if tick is not None:
            print(
                f"   baseline: a naive full-scan tick at {tick['n']:,} open handoffs spends {tick['table_s']:.1f} s"
                " finding the due ones, a floor under its tick and its delay; the manual daily extraction: up to 24 h."
            )


async def main(quick: bool, kafka: bool, parts: set[str]) -> int:
    bootstrap = os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    scale = 10 if quick else 1
    print(f"watchdog benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cores, sizes / {scale})", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="watchdog-bench-"))
    started = time.monotonic()
    try:
        rss = measure_rss([100_000 // scale, 1_000_000 // scale], workdir) if "rss" in parts else None
        tick = measure_tick(1_000_000 // scale, workdir) if "tick" in parts else None
        rec = delay = None
        if kafka and "recovery" in parts:
            rec = await measure_recovery(bootstrap, 1_000_000 // scale, workdir)
        if kafka and "delay" in parts:
            delay = await measure_delay(bootstrap, 300 // scale, 30.0, workdir / "stack")
        report(rss, tick, rec, delay)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes divided by 10")
    parser.add_argument("--no-kafka", action="store_true", help="skip recovery through Kafka and the alert delay")
    parser.add_argument("--parts", default="rss,tick,recovery,delay", help="which of the four (comma-separated)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n, where = args.child
        print(json.dumps(child_rss(kind, int(n), Path(where))))
        sys.exit(0)
    sys.exit(asyncio.run(main(args.quick, not args.no_kafka, set(args.parts.split(",")))))
