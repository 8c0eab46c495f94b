"""The watchdog's decisions over its tables, without Kafka: events in, alerts and notices out.

Tables (all keyed in the dossier's partition, so a worker holds whole dossiers):

- ``states``  dossier code -> :class:`WatchState` JSON (clocks, facts, and the keys of the alerts raised);
- ``index``   the deadline index: ``<unix ms>|<code>`` -> b"" (sorted): each dossier's earliest future
  wake-up (plus entries an event made stale, read once and dropped when their time comes);
- ``late``    ``<YYYY-MM>|<code>`` -> :class:`LateEntry` JSON, the late-dossier report rows;
- ``notices`` notice id -> :class:`Notice` or :class:`SuspensionNotice` JSON.

:meth:`Watchdog.on_event` folds an event and evaluates the dossier at once; :meth:`Watchdog.on_tick`
reads the index from the partition's cursor up to now (a range scan: the cost is the number of due
wake-ups, never the number of open handoffs), evaluates each woken dossier and deletes the entries.
Both write everything synchronously and return an :class:`Outbox` for the caller to send afterwards:
the deduplication keys are in the state row before an alert leaves, and nothing interleaves between a
read and its write (one event loop). The same write keeps each alert and notice in the row's
``outbox`` until the caller confirms (:meth:`Watchdog.confirm`) that Kafka acknowledged it: a worker
that stops in between sends it again after its restart (the same id, so a reader sees it once), never loses it.
The cursor lives in memory: after a restart the first tick scans from the start of the index, so
wake-ups that passed while the worker was down fire then, once.

Usage::

    engine = Watchdog(ctx, rules, clock, states=..., index=..., late=..., notices=...)
    outbox = engine.on_event(partition, event)
    outbox, more = engine.on_tick(partition)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from schemas.envelope import Envelope
from services.relay.routing import RoutingContext
from services.watchdog.alerts import alert_document, to_bytes
from services.watchdog.clock import Clock
from services.watchdog.digest import NearDue, digest_document, near_due
from services.watchdog.evaluate import evaluate
from services.watchdog.notices import (
    Notice,
    SuspensionNotice,
    draft_notice,
    draft_suspension_notice,
    notice_document,
    parse_notice,
    with_issued,
)
from services.watchdog.report import LateEntry, late_entry, monthly_report
from services.watchdog.rules import RuleSet
from services.watchdog.state import STATES, Pending, WatchState, advance, workflow_of
from services.watchdog.store import Storage, epoch_ms, index_bound, index_key, key_at, parse_index_key

__all__ = ["DIGEST_PARTITION", "Outbox", "Watchdog", "WatchdogCounters"]

log = logging.getLogger(__name__)
_DIGEST_MARK = b"~digest|"
DIGEST_PARTITION = 0  # the day's digest is marked sent here; its owner sends it (one digest for the city)


def _digest_mark(local: datetime) -> bytes:
    return _DIGEST_MARK + local.date().isoformat().encode()


@dataclass
class WatchdogCounters:
    """What the watchdog did since start (served at ``/v1/watchdog/stats``; no personal data)."""

    events: int = 0
    ignored: int = 0
    undecodable: int = 0
    errors: int = 0
    ticks: int = 0
    woken: int = 0
    alerts: int = 0
    notices: int = 0
    digests: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    last_tick_at: str | None = None
    last_tick_ms: float = 0.0


@dataclass
class Outbox:
    """Records to send once the tables are written: (key, value) pairs; ``pending`` names them, as
    (partition, dossier code, record id), for :meth:`Watchdog.confirm` once they are acknowledged."""

    alerts: list[tuple[bytes, bytes]] = field(default_factory=list)
    notices: list[tuple[bytes, bytes]] = field(default_factory=list)
    pending: list[tuple[int, str, str]] = field(default_factory=list)

    def extend(self, other: Outbox) -> None:
        self.alerts.extend(other.alerts)
        self.notices.extend(other.notices)
        self.pending.extend(other.pending)

    def __bool__(self) -> bool:
        return bool(self.alerts or self.notices)


class Watchdog:
    """Deadline tracking, alert rules, notices and the late report over four :class:`Storage` tables."""

    def __init__(
        self,
        ctx: RoutingContext,
        rules: RuleSet,
        clock: Clock,
        *,
        states: Storage,
        index: Storage,
        late: Storage,
        notices: Storage,
        digest_at: time = time(7, 30),
        counters: WatchdogCounters | None = None,
    ) -> None:
        self.ctx, self.rules, self.clock = ctx, rules, clock
        self.states, self.index, self.late, self.notices = states, index, late, notices
        self.digest_at = digest_at
        self.counters = counters or WatchdogCounters()
        self._cursor: dict[int, bytes] = {}
        self._last: datetime | None = None
        self._in_flight: set[str] = set()  # ids of pending records this worker is sending now

    @property
    def calendar(self) -> Any:
        return self.ctx.calendar

    def now(self) -> datetime:
        """The clock, never going backwards (the index cursor relies on it)."""
        now = self.clock.now()
        if self._last is not None and now < self._last:
            return self._last
        self._last = now
        return now

    # -- state ------------------------------------------------------------------------------------
    def load(self, partition: int, code: str) -> WatchState | None:
        raw = self.states.get(partition, code.encode())
        return STATES.load(raw) if raw else None

    def find(self, code: str, partitions: list[int] | None = None) -> tuple[int, WatchState] | None:
        for p in partitions if partitions is not None else self.states.partitions():
            state = self.load(p, code)
            if state is not None:
                return p, state
        return None

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, partition: int, event: Envelope[Any]) -> Outbox:
        """Fold ``event`` (of ``partition``) into its dossier and evaluate the dossier now."""
        self.counters.events += 1
        state = advance(self.load(partition, event.subject), event, self.ctx, self.rules)
        if state is None:
            self.counters.ignored += 1
            return Outbox()
        return self._commit(partition, state, self.now(), changed=True)

    # -- the timer --------------------------------------------------------------------------------
    def on_tick(self, partition: int, now: datetime | None = None, limit: int = 500) -> tuple[Outbox, bool]:
        """Evaluate the dossiers whose wake-ups are due in ``partition``; ``more`` if the batch was full."""
        now = now or self.now()
        hi = index_bound(now)
        lo = self._cursor.get(partition, b"")
        rows = self.index.scan(partition, lo, hi, limit)
        out = Outbox()
        codes = list(dict.fromkeys(parse_index_key(key)[1] for key, _ in rows))
        for key, _ in rows:
            self.index.delete(partition, key)
        for code in codes:
            state = self.load(partition, code)
            if state is not None:
                out.extend(self._commit(partition, state, now, changed=False))
        self.counters.woken += len(codes)
        more = len(rows) >= limit
        self._cursor[partition] = rows[-1][0] + b"\x00" if more else hi
        return out, more

    def forget_cursors(self, keep: list[int]) -> None:
        """After a rebalance: partitions (re)gained start their scan from the beginning."""
        for p in list(self._cursor):
            if p not in keep:
                del self._cursor[p]

    def _commit(self, partition: int, state: WatchState, now: datetime, changed: bool) -> Outbox:
        workflow = workflow_of(state, self.ctx)
        cal = self.calendar
        ev = evaluate(state, workflow, self.rules, now, cal)
        code, out = state.code, Outbox()
        new: list[Pending] = []
        for finding in ev.findings:
            doc = alert_document(code, state.ledger.procedure_code, finding, self.rules.version, now)
            new.append(Pending(topic="alerts", id=doc["id"], value=to_bytes(doc).decode(), at=now))
        drafted: list[Notice | SuspensionNotice] = []
        if ev.notice_needed and ev.forecast is not None and ev.culprit is not None:
            drafted.append(draft_notice(state, workflow, ev.forecast, ev.culprit, self.rules, now, cal))
        if not state.finished and (told := draft_suspension_notice(state, workflow, self.rules, now, cal)):
            drafted.append(told)  # the citizen is told of a suspension (and why) as soon as it is known
        drafted = [d for d in drafted if d.id not in state.notices]
        for draft in drafted:
            new.append(Pending(topic="notices", id=draft.id, value=to_bytes(notice_document(draft)).decode(), at=now))
        # what is pending but not being sent by this worker was left by one that stopped: send it again
        again = [p for p in state.outbox if p.id not in self._in_flight]
        for pending in (*again, *new):
            (out.alerts if pending.topic == "alerts" else out.notices).append((code.encode(), pending.value.encode()))
            out.pending.append((partition, code, pending.id))
            self._in_flight.add(pending.id)
        floor_now = math.floor(epoch_ms(now))
        # Only the earliest wake-up goes in the index: evaluating the dossier then finds every rule due and
        # schedules the next one. (The digest still finds a near-due clock: the earliest wake-up of its
        # dossier is never later than that clock's due.)
        times = [math.ceil(epoch_ms(t)) for t in ev.wakeups]
        if new:  # should the worker stop before the send is acknowledged, the first tick after its restart
            times.append(floor_now + 1)  # (which scans the index from the start) finds the outbox and sends it
        wake = {min(times)} if times else set()
        fresh = wake - set(state.scheduled)
        for ms in sorted(fresh):
            self.index.put(partition, key_at(ms, code), b"")
        scheduled = tuple(sorted(s for s in set(state.scheduled) | wake if s > floor_now))
        update: dict[str, Any] = {}
        if ev.findings:
            update["fired"] = (*state.fired, *(f.key for f in ev.findings))
        if drafted:
            update["notices"] = (*state.notices, *(d.id for d in drafted))
        if new:
            update["outbox"] = (*state.outbox, *new)
        if scheduled != state.scheduled:
            update["scheduled"] = scheduled
        if update:
            state = state.model_copy(update=update)
        if changed or update:
            self.states.put(partition, code.encode(), STATES.dump(state))
        # A timer wake-up changes no clock: the report row only moves while the dossier runs past its due.
        late_now = changed or (ev.dossier_due is not None and ev.dossier_due <= now)
        entry = late_entry(state, workflow, now, cal) if late_now else None
        if entry is not None:
            self.late.put(partition, f"{entry.month}|{code}".encode(), entry.model_dump_json().encode())
        for draft in drafted:
            self.notices.put(partition, draft.id.encode(), draft.model_dump_json().encode())
            self.counters.notices += 1
        self.counters.alerts += len(ev.findings)
        return out

    def confirm(self, out: Outbox) -> None:
        """Kafka acknowledged the records of ``out``: drop them from their dossiers' outboxes."""
        done: dict[tuple[int, str], set[str]] = {}
        for partition, code, record_id in out.pending:
            done.setdefault((partition, code), set()).add(record_id)
            self._in_flight.discard(record_id)
        for (partition, code), ids in done.items():
            state = self.load(partition, code)
            if state is None:
                continue
            left = tuple(p for p in state.outbox if p.id not in ids)
            if len(left) != len(state.outbox):
                state = state.model_copy(update={"outbox": left})
                self.states.put(partition, code.encode(), STATES.dump(state))

    def release(self, out: Outbox, retry_in_s: float = 30.0) -> None:
        """Sending ``out`` failed: its records stay pending and go again when their dossier wakes next (at
        the latest in ``retry_in_s``)."""
        at = math.ceil(epoch_ms(self.now()) + retry_in_s * 1000)
        for partition, code, record_id in out.pending:
            self._in_flight.discard(record_id)
            self.index.put(partition, key_at(at, code), b"")

    def schedule(self, partition: int, at: datetime, code: str) -> None:
        """Put one wake-up in the index (tests and benchmarks; the engine schedules by itself)."""
        self.index.put(partition, index_key(at, code), b"")

    # -- the digest, the report, notices ----------------------------------------------------------
    def near_due(self, partitions: list[int], now: datetime) -> list[NearDue]:
        """Near-due handoffs and dossiers of ``partitions``: a range scan of the index up to the largest
        threshold ahead (every open clock with a due has its due in the index), not a full scan."""
        cal = self.calendar
        ahead = max(self.rules.due_soon.handoff.horizon(cal), self.rules.due_soon.dossier.horizon(cal))
        horizon = cal.add(cal.next_office_instant(now), ahead) or now
        items: list[NearDue] = []
        for p in partitions:
            # from the tick's cursor: a wake-up due but not yet read (the next tick's) still counts
            lo, hi = self._cursor.get(p, b""), index_bound(horizon)
            codes = dict.fromkeys(parse_index_key(k)[1] for k, _ in self.index.scan(p, lo, hi, 10_000_000))
            for code in codes:
                state = self.load(p, code)
                if state is not None:
                    items.extend(near_due(state, workflow_of(state, self.ctx), self.rules, now, cal))
        return items

    def digest_due(self, now: datetime) -> bool:
        """On a working day, from the configured hour on (Asia/Ho_Chi_Minh), until today's digest is marked sent."""
        local = now.astimezone(self.calendar.tz)
        if not self.calendar.is_working_day(local.date()) or local.time() < self.digest_at:
            return False
        return self.index.get(DIGEST_PARTITION, _digest_mark(local)) is None

    def maybe_digest(
        self, partitions: list[int], now: datetime | None = None, mark: bool = True
    ) -> dict[str, Any] | None:
        """Today's digest of ``partitions`` (all of them: one digest for the city), once per day.

        ``mark`` False leaves the day unmarked until :meth:`mark_digest`, called once the digest is
        acknowledged: a worker stopping in between sends it after its restart (the same id) rather than never."""
        now = now or self.now()
        if not self.digest_due(now):
            return None
        document = digest_document(self.near_due(partitions, now), now.astimezone(self.calendar.tz))
        if mark:
            self.mark_digest(now)
        self.counters.digests += 1
        return document

    def mark_digest(self, now: datetime) -> None:
        local = now.astimezone(self.calendar.tz)
        self.index.put(DIGEST_PARTITION, _digest_mark(local), now.isoformat().encode())

    def late_entries(self, month: str, partitions: list[int], now: datetime) -> list[LateEntry]:
        """The month's late dossiers, recomputed at ``now`` (the stored row when the state is gone)."""
        entries: list[LateEntry] = []
        prefix = f"{month}|".encode()
        for p in partitions:
            for key, raw in self.late.scan(p, prefix, prefix + b"\xff", 10_000_000):
                code = key[len(prefix) :].decode()
                state = self.load(p, code)
                fresh = late_entry(state, workflow_of(state, self.ctx), now, self.calendar) if state else None
                entries.append(
                    fresh if fresh is not None and fresh.month == month else LateEntry.model_validate_json(raw)
                )
        return entries

    def late_report(self, month: str, partitions: list[int], agency: str | None = None) -> dict[str, Any]:
        now = self.now()
        return monthly_report(month, self.late_entries(month, partitions, now), now, agency)

    def notice(self, notice_id: str, partitions: list[int]) -> Notice | SuspensionNotice | None:
        for p in partitions:
            raw = self.notices.get(p, notice_id.encode())
            if raw is not None:
                notice = parse_notice(raw)
                if isinstance(notice, SuspensionNotice):
                    return notice
                return with_issued(notice, self.load(p, notice.dossier_code))
        return None
