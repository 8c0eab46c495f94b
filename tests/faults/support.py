"""The fault suite's tools: steady load through the signed ingress, an independent account of every record
(read back from Kafka and from what the simulated agencies received), and ``lienthong audit``.

    outcome = await play(stack, "worker killed", fault, dossiers=40, per_second=5)
    outcome.check()       # nothing lost (by the account and by the audit), every dossier completed
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.events import TZ
from simulators.factory import FIRST_CERTIFICATE, LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from simulators.stack import Stack


@dataclass
class Load:
    """The one-stop-shop opening ``dossiers`` dossiers at ``per_second``; the agencies answer by themselves."""

    stack: Stack
    dossiers: int
    per_second: float
    seed: int = 7
    codes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def start(self) -> asyncio.Task[None]:
        return asyncio.ensure_future(self._play())

    async def _play(self) -> None:
        from schemas.workflows import load_workflows

        rng = random.Random(self.seed)
        one_stop = self.stack.agencies["one-stop"]
        base = rng.randrange(10_000)
        started = time.monotonic()
        for i in range(self.dossiers):
            procedure = rng.choice([LAND_TRANSFER, LAND_TRANSFER, FIRST_CERTIFICATE])
            now = datetime.now(TZ)
            code = dossier_code((base + i) % 10_000, now) + f"-{self.stack.prefix[-4:]}"
            received = dossier_received(code, procedure, now, rng)
            version = load_workflows().in_force(procedure, now).version
            handoff = handoff_requested(
                received, "land-check", "land-registry", workflow_version=version, handoff_id=f"{code}-land-check"
            )
            ok = True
            for event in (received, handoff):
                response = await one_stop.post_event(event)
                if response.status_code != 202:
                    self.refused.append(f"{event.type} {code}: {response.status_code} {response.text[:200]}")
                    ok = False
                    break
            if ok:
                self.codes.append(code)
            delay = started + (i + 1) / self.per_second - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record of ``topic`` (all partitions, from the start), without a consumer group."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out: list[Any] = []
        remaining = {tp for tp in tps if ends[tp] > consumer.position(tp)}
        deadline = time.monotonic() + 60
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                out.extend(records)
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        consumer.close()


def _event_id(raw: bytes | None) -> str | None:
    try:
        doc = json.loads(raw or b"")
    except ValueError:
        return None
    return str(doc["id"]) if isinstance(doc, dict) and "id" in doc else None


@dataclass
class Account:
    events: int = 0
    outbound: int = 0
    lost_events: list[str] = field(default_factory=list)  # "p:o id"
    lost_outbound: list[str] = field(default_factory=list)  # "topic p:o id"
    duplicates: int = 0  # deliveries a receiver dropped as a repeat (allowed: at least once)
    quarantined: int = 0
    dead_lettered: int = 0

    def summary(self) -> str:
        return (
            f"events={self.events} outbound={self.outbound} lost_events={len(self.lost_events)} "
            f"lost_outbound={len(self.lost_outbound)} duplicates={self.duplicates} "
            f"quarantined={self.quarantined} dead_lettered={self.dead_lettered}"
        )


async def take_account(stack: Stack) -> Account:
    return await asyncio.to_thread(_account, stack)


def _account(stack: Stack) -> Account:
    bootstrap = stack.bootstrap
    account = Account()
    seen: set[str] = set()
    latest: dict[bytes, bytes | None] = {}
    for rec in read_topic(bootstrap, stack.topic("dossiers")):
        latest[rec.key] = rec.value
    for value in latest.values():
        if value:
            seen.update(json.loads(value).get("seen", []))
    quarantined: set[str] = set()
    for rec in read_topic(bootstrap, stack.topic("quarantine")):
        account.quarantined += 1
        letter = json.loads(rec.value)
        if letter.get("event_id"):
            quarantined.add(letter["event_id"])
    for rec in read_topic(bootstrap, stack.topic("events")):
        account.events += 1
        event_id = _event_id(rec.value)
        if event_id is None or (event_id not in seen and event_id not in quarantined):
            account.lost_events.append(f"{rec.partition}:{rec.offset} {event_id}")
    dead: set[tuple[str, str]] = set()
    for rec in read_topic(bootstrap, stack.topic("deadletter")):
        account.dead_lettered += 1
        letter = json.loads(rec.value)
        dead.add((str(letter.get("agency")), str(letter.get("event_id"))))
    for code, agency in stack.agencies.items():
        received = {r.event_id for r in agency.received}
        account.duplicates += len(agency.repeats)
        topic = stack.topic(f"outbound.{code}")
        for rec in read_topic(bootstrap, topic):
            account.outbound += 1
            event_id = _event_id(rec.value)
            if event_id in received or (code, str(event_id)) in dead:
                continue
            account.lost_outbound.append(f"{topic} {rec.partition}:{rec.offset} {event_id}")
    return account


async def settle(stack: Stack, codes: list[str], timeout_s: float = 120.0) -> list[str]:
    """Wait until every dossier in ``codes`` is closed (or ``timeout_s``); what is still open, and why."""
    deadline = time.monotonic() + timeout_s
    open_: dict[str, str] = dict.fromkeys(codes, "")
    while open_ and time.monotonic() < deadline:
        still = {}
        for code in open_:
            response = await stack.agencies["office"].request("GET", f"/v1/dossiers/{code}")
            if response.status_code != 200:
                still[code] = f"{response.status_code} {response.text[:200]}"
            elif response.json().get("status") != "closed":
                held = [(h["step_id"], h["to_agency"], h.get("accepted_at")) for h in response.json()["open_handoffs"]]
                still[code] = f"open: {held}"
        open_ = still
        if open_:
            await asyncio.sleep(1)
    if not open_:
        return []
    errors = [e for a in stack.agencies.values() for e in a.errors]
    return [f"{code} {why}" for code, why in open_.items()] + [f"agency error: {e}" for e in errors[:10]]


@dataclass
class Outcome:
    """One scenario's figures (printed for the record; ``check`` fails the test on any loss)."""

    name: str
    dossiers: int
    account: Account
    audit: dict[str, Any]
    still_open: list[str]
    recovery_s: float | None
    refused: list[str]
    tail: str

    def line(self) -> str:
        recovery = f"{self.recovery_s:.1f}s" if self.recovery_s is not None else "-"
        return (
            f"[fault] {self.name}: dossiers={self.dossiers} {self.account.summary()} "
            f"routed_again={self.audit.get('events_repeated')} redelivered={self.audit.get('redelivered')} "
            f"open={len([x for x in self.still_open if not x.startswith('agency error')])} recovery={recovery}"
        )

    def check(self) -> None:
        print(self.line())
        with open(RESULTS, "a", encoding="utf-8") as out:
            out.write(self.line() + "\n")
        assert not self.account.lost_events, f"{self.line()}: {self.account.lost_events[:20]}\n{self.tail}"
        assert not self.account.lost_outbound, f"{self.line()}: {self.account.lost_outbound[:20]}\n{self.tail}"
        assert self.audit.get("ok") is True, f"{self.line()}: audit {self.audit}"
        assert not self.refused, f"{self.line()}: refused {self.refused[:5]}"
        assert not self.still_open, f"{self.line()}\n" + "\n".join(self.still_open) + f"\n{self.tail}"


RESULTS = "/tmp/lienthong-faults.txt"


def audit_of(stack: Stack) -> dict[str, Any]:
    """``lienthong audit --json`` as an operator runs it (the exit status agrees with ``ok``)."""
    done = stack.cli("audit", "--json", "--grace", "60", timeout=180)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"audit printed no JSON (exit {done.returncode}): {done.stdout}{done.stderr}") from None
    assert (done.returncode == 0) == bool(report.get("ok")), done.stderr
    return report


async def play(
    stack: Stack,
    name: str,
    fault: Any,
    dossiers: int = 60,
    per_second: float = 4.0,
    fault_after_s: float = 5.0,
    settle_s: float = 150.0,
) -> Outcome:
    """Play ``dossiers`` through the stack, run ``fault(stack)`` after ``fault_after_s`` (it returns the seconds
    the system took to recover, or None), let the day finish, and account for everything."""
    load = Load(stack, dossiers=dossiers, per_second=per_second)
    playing = load.start()
    await asyncio.sleep(fault_after_s)
    recovery = await fault(stack)
    await playing
    still_open = await settle(stack, load.codes, settle_s)
    account = await take_account(stack)
    audit = await asyncio.to_thread(audit_of, stack)
    return Outcome(name, len(load.codes), account, audit, still_open, recovery, load.refused, stack.tail())


def accepted_but_missing(stack: Stack) -> list[str]:
    """Event ids some agency was answered 202 for that are not on the event log (must be none)."""
    from services.ops.readback import read_topic

    logged = {_event_id(r.value) for r in read_topic(stack.kafka, stack.topic("events"))}
    return sorted(set(stack.posted) - logged)
