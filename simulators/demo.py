"""The main job's demo: a city's day of dossiers, compressed into a few minutes, through the real system.

The one-stop-shop receives dossiers over the three shipped workflows at a steady pace; every agency is
simulated over HTTP (with some faults: a tax system that fails now and then, a land-registry outage) and
answers its handoffs through the ingress API. Progress is printed every few seconds; at the end a summary:
dossiers completed, result-return latency, handoffs still open, quarantined and dead-lettered counts.

    lienthong demo --dossiers 60 --minutes 2
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.events import TZ
from services.clierror import CliError
from services.relay.deadletter import read_letters
from services.settings import Settings
from simulators.factory import (
    BIRTH_GROUP,
    CONSTRUCTION_PERMIT,
    FIRST_CERTIFICATE,
    HOUSEHOLD_BUSINESS,
    INHERITANCE_GIFT,
    JOINT_PROVINCIAL,
    LAND_TRANSFER,
    LAND_USE_CHANGE,
    MORTGAGE,
    MORTGAGE_DELETION,
    dossier_code,
    dossier_received,
    handoff_requested,
)
from simulators.stack import Stack, agency_kinds

__all__ = ["DemoSummary", "run_demo"]

# (procedure, first handoff step, to agency, share of the day's dossiers)
MIX = [
    (LAND_TRANSFER, "land-check", "land-registry", 0.35),
    (FIRST_CERTIFICATE, "land-check", "land-registry", 0.15),
    (JOINT_PROVINCIAL, "office-send", "office", 0.07),
    (MORTGAGE, "register", "land-registry", 0.1),
    (MORTGAGE_DELETION, "deregister", "land-registry", 0.06),
    (HOUSEHOLD_BUSINESS, "register", "city-dept-kinh-te", 0.06),
    (LAND_USE_CHANGE, "land-review", "city-dept-tnmt", 0.05),
    (INHERITANCE_GIFT, "land-check", "land-registry", 0.06),
    (CONSTRUCTION_PERMIT, "appraise", "city-dept-qldt", 0.04),
    (BIRTH_GROUP, "birth", "ward-vinh-hai", 0.06),
]
_RESULTS = {"vn.lienthong.result.ready"}


@dataclass
class DemoSummary:
    sent: int
    completed: int
    open_handoffs: int
    dashboard_open: int | None  # open handoffs as the Office's dashboard and /metrics count them
    latencies_ms: list[float]
    result_latencies_ms: list[float]
    quarantined: int
    dead_lettered: int
    errors: list[str]
    stuck: list[str]

    def verdict(self) -> str:
        """Empty when the day went as it should: every dossier completed, nothing quarantined or lost."""
        if self.completed < self.sent:
            return f"{self.sent - self.completed} of {self.sent} dossiers did not complete"
        if self.quarantined or self.dead_lettered:
            return f"{self.quarantined} quarantined and {self.dead_lettered} dead-lettered events"
        if self.dashboard_open is not None and self.dashboard_open != self.open_handoffs:
            return f"the dashboard counts {self.dashboard_open} open handoffs, the ledgers {self.open_handoffs}"
        return "" if self.sent else "no dossier was received"

    def lines(self) -> list[str]:
        def pct(values: list[float], q: float) -> str:
            if not values:
                return "-"
            ordered = sorted(values)
            return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.0f} ms"

        return [
            "Tóm tắt / Summary",
            f"  hồ sơ tiếp nhận / dossiers received         {self.sent}",
            f"  hồ sơ hoàn thành / dossiers completed       {self.completed}",
            f"  kết quả về Một cửa p50/p95 / result-return  {pct(self.result_latencies_ms, 0.5)} / "
            f"{pct(self.result_latencies_ms, 0.95)}  (final results, n={len(self.result_latencies_ms)})",
            f"  mọi kết quả bước p50/p95 / all step results {pct(self.latencies_ms, 0.5)} / "
            f"{pct(self.latencies_ms, 0.95)}  (n={len(self.latencies_ms)})",
            f"  phiếu chuyển còn mở / handoffs still open    {self.open_handoffs}",
            f"  theo bảng theo dõi / as the dashboard counts {_or_dash(self.dashboard_open)}",
            f"  cách ly / quarantined                       {self.quarantined}",
            f"  thư chết / dead-lettered                    {self.dead_lettered}",
            *(f"  còn mở / still open: {line}" for line in self.stuck[:10]),
        ]


async def _play(stack: Stack, codes: list[str], dossiers: int, minutes: float, seed: int) -> None:
    rng = random.Random(seed)
    one_stop = stack.agencies["one-stop"]
    gap = max(0.05, minutes * 60 / max(dossiers, 1))
    base = int(time.time()) % 10_000
    for i in range(dossiers):
        procedure, step, to, _ = rng.choices(MIX, weights=[m[3] for m in MIX])[0]
        now = datetime.now(TZ)
        code = dossier_code((base + i) % 10_000, now)
        version = stack_version(procedure, now)
        received = dossier_received(code, procedure, now, rng, appointment_at=appointment_of(procedure, version, now))
        if (await one_stop.post_event(received)).status_code != 202:
            continue
        handoff = handoff_requested(received, step, to, workflow_version=version, handoff_id=f"{code}-{step}")
        await one_stop.post_event(handoff)
        codes.append(code)
        await asyncio.sleep(gap * rng.uniform(0.5, 1.5))


def appointment_of(procedure: str, version: int, at: datetime) -> datetime:
    """The date the one-stop-shop prints on the receipt: the procedure's appointment budget from ``at``."""
    from schemas.planning import plan_dossier
    from schemas.workcalendar import default_calendar
    from schemas.workflows import default_workflows

    return plan_dossier(default_workflows().get(procedure, version), at, default_calendar()).appointment_at


def stack_version(procedure: str, at: datetime) -> int:
    from schemas.workflows import load_workflows

    return load_workflows().in_force(procedure, at).version


def _latencies(stack: Stack, only: set[str] | None) -> list[float]:
    out = []
    for r in stack.agencies["one-stop"].received:
        posted = stack.posted.get(r.event_id)
        if posted is not None and (only is None or r.event_type in only):
            out.append((r.wall - posted) * 1000)
    return out


async def _progress(stack: Stack, codes: list[str], total: int, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        done = sum(1 for r in stack.agencies["one-stop"].received if r.event_type in _RESULTS)
        print(
            f"  [{time.monotonic() - started:5.0f}s] tiếp nhận {len(codes)}/{total}  "
            f"có kết quả {done}  sự kiện đã chuyển {sum(len(a.received) for a in stack.agencies.values())}",
            flush=True,
        )
        try:
            await asyncio.wait_for(stop.wait(), timeout=5)
        except TimeoutError:
            pass


async def run_demo(
    settings: Settings, dossiers: int, minutes: float, keep_running: bool, seed: int = 1, workers: int = 1
) -> int:
    """The main job; with ``workers`` > 1 they share the load behind a balancer on the configured web port."""
    from simulators.processes import free_port, port_taken

    if port_taken(settings.web_port):
        raise CliError(
            f"port {settings.web_port} is in use (another lienthong demo or worker?): stop it, "
            "or choose another with LIENTHONG_WEB_PORT"
        )

    stack = Stack(
        bootstrap=settings.bootstrap_servers,
        workdir=settings.data_dir,
        prefix=settings.topic_prefix,
        port=settings.web_port if workers == 1 else free_port(),
        app_id=settings.app_id,
        workers=workers,
        balancer_port=settings.web_port if workers > 1 else 0,
        client_retry_s=60.0,
    )
    what = "the worker" if workers == 1 else f"{workers} workers (behind a balancer)"
    print(f"lienthong: starting {what} and {len(agency_kinds())} simulated agencies ...", flush=True)
    started = datetime.now(TZ)
    # a hang-up or SIGTERM stops the demo as Ctrl-C does: the worker and simulators with it (they run in
    # sessions of their own, so nothing else would tell them)
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGHUP)

    def stop_once() -> None:  # a second signal (a closing terminal sends two) must not cut the stopping short
        for sig in signals:
            loop.remove_signal_handler(sig)
        if main is not None:
            main.cancel()

    for sig in signals:
        loop.add_signal_handler(sig, stop_once)
    try:
        summary = await _play_day(stack, settings, dossiers, minutes, seed, started, keep_running)
    finally:
        await asyncio.shield(stack.stop())
    verdict = summary.verdict()
    if verdict:
        print(f"lienthong: {verdict}", file=sys.stderr)
    return 1 if verdict else 0


async def _play_day(
    stack: Stack, settings: Settings, dossiers: int, minutes: float, seed: int, started: datetime, keep_running: bool
) -> DemoSummary:
    """Start the stack, play the day, print the summary; on a terminal, keep everything running until Ctrl-C."""
    # a production-like retry budget (about a minute), so a short outage costs time, not dead letters
    await stack.start(act=True, delay_s=(0.2, 1.0), retry={"max_attempts": 30, "backoff_max_s": 3})
    stack.agencies["tax"].failure_rate = 0.1  # a flaky tax system: retried, never lost
    print(f"lienthong: ready at {stack.url} — playing {dossiers} dossiers over {minutes:g} min", flush=True)
    codes: list[str] = []
    stop = asyncio.Event()
    progress = asyncio.ensure_future(_progress(stack, codes, dossiers, stop))
    try:
        player = asyncio.ensure_future(_play(stack, codes, dossiers, minutes, seed))
        await asyncio.sleep(min(20.0, minutes * 30))
        stack.agencies["land-registry"].outage = True  # a short outage mid-day
        await asyncio.sleep(5)
        stack.agencies["land-registry"].outage = False
        await player
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ledgers = [await _safe_ledger(stack, c) for c in codes]
            if all(x is not None and x["status"] == "closed" for x in ledgers):
                break
            await asyncio.sleep(2)
        summary = await _summary(stack, codes, settings, started)
    finally:
        stop.set()
        await progress
    for line in summary.lines():
        print(line)
    if summary.errors:
        harmless = not summary.verdict()
        print(
            "Câu trả lời lỗi mà hệ thống mô phỏng nhận / error answers the simulated agencies got:"
            f" {len(summary.errors)}"
            + (
                " — không ảnh hưởng: mọi hồ sơ vẫn hoàn thành / harmless: every dossier still completed"
                if harmless
                else " — xem kết luận bên dưới / see the verdict below"
            )
        )
    for error in summary.errors[:10]:
        print(f"  ! {error}")
    print(_dashboard_line(settings, stack.url))
    if keep_running and sys.stdin.isatty():
        print(f"lienthong: worker and simulators keep running at {stack.url} (Ctrl-C to stop)", flush=True)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
    return summary


def _dashboard_line(settings: Settings, url: str) -> str:
    """The dashboard's address, and on the first run a demo Office account (kept in the data directory)."""
    import secrets

    from services.monitor.users import UserStore

    store = UserStore(settings.monitor_users_path)
    line = f"Bảng theo dõi / dashboard: {url}/monitor/"
    if not store.all():
        password = secrets.token_urlsafe(9)
        store.add("vanphong", "office", password)
        line += f"  — đăng nhập / sign in: vanphong / {password} (shown once; `lienthong user passwd vanphong`)"
    return line


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


async def _dashboard_open(stack: Stack) -> int | None:
    """Open handoffs as the monitor counts them (``lienthong_handoffs_open`` of /metrics, every agency pair); it
    must equal the ledgers' count: one truth for "open"."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{stack.worker_url(0)}/metrics")).text
    except httpx.HTTPError:
        return None
    values = [line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith("lienthong_handoffs_open{")]
    return int(sum(float(v) for v in values))


async def _safe_ledger(stack: Stack, code: str) -> dict[str, Any] | None:
    try:
        return await stack.ledger(code)
    except RuntimeError:
        return None


async def _summary(stack: Stack, codes: list[str], settings: Settings, since: datetime) -> DemoSummary:
    ledgers = [x for x in [await _safe_ledger(stack, c) for c in codes] if x is not None]
    prefix = settings.topic_prefix
    quarantined = await asyncio.to_thread(read_letters, settings.kafka, f"{prefix}.quarantine")
    dead = await asyncio.to_thread(read_letters, settings.kafka, f"{prefix}.deadletter")
    after = since.astimezone(UTC).isoformat()  # letters of this run only
    quarantined = [x for x in quarantined if x.record.failed_at >= after]
    dead = [x for x in dead if x.record.failed_at >= after]
    return DemoSummary(
        sent=len(codes),
        completed=sum(1 for x in ledgers if x["status"] == "closed"),
        open_handoffs=sum(len(x["open_handoffs"]) for x in ledgers),
        dashboard_open=await _dashboard_open(stack),
        latencies_ms=_latencies(stack, None),
        result_latencies_ms=_latencies(stack, _RESULTS),
        quarantined=len(quarantined),
        dead_lettered=len(dead),
        errors=[e for a in stack.agencies.values() for e in a.errors],
        stuck=[
            f"{x['code']} {x['procedure_code']}: "
            + ", ".join(f"{h['step_id']} ({h['from_agency']} → {h['to_agency']})" for h in x["open_handoffs"])
            for x in ledgers
            if x["status"] != "closed"
        ],
    )
