"""A whole lienthong with the watchdog steered by a fake clock, an alert webhook and an SMTP server on loopback."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from schemas import Envelope, default_calendar, new_event
from services.relay.auth import signed_headers
from services.watchdog.cli import read_topic
from services.watchdog.clock import write_clock_file
from simulators.agency import SimulatedAgency
from simulators.processes import Process, free_port
from simulators.stack import Stack

LAND_TRANSFER = "1.004227.000.00.00.H42"
HOOK_SECRET = "alert-webhook-secret-0123456789"
CONTACTS = """\
agencies:
  land-registry: {unit: [mot-cua@vpdk.example], head: [giam-doc@vpdk.example]}
  tax: {unit: [mot-cua@thue.example], head: [chi-cuc-truong@thue.example]}
office: [van-phong@nhatrang.example]
leadership: [pho-chu-tich@nhatrang.example]
"""


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def about(self, text: str) -> list[tuple[list[str], email.message.EmailMessage]]:
        return [(to, m) for to, m in self.messages if text in str(m["Subject"]) or text in m.get_content()]


@dataclass
class WatchStack(Stack):
    """The loopback stack plus the watchdog's settings (extra environment for the worker and the CLI)."""

    extra: dict[str, str] = field(default_factory=dict)
    restarts: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.extra}

    @property
    def clock_file(self) -> Path:
        return self.workdir / "clock.json"

    def set_clock(self, instant: datetime) -> None:
        write_clock_file(self.clock_file, instant)

    async def stop_worker(self) -> None:
        assert self.worker is not None
        await asyncio.to_thread(self.worker.stop)

    async def start_worker(self, wipe_local_state: bool = False) -> None:
        """Start the worker again (after :meth:`stop_worker`); ``wipe_local_state``: its RocksDB tables are
        deleted, so it must restore them from their changelogs."""
        if wipe_local_state:
            shutil.rmtree(self.workdir / "worker")
        self.restarts += 1
        self.worker = Process(
            ["-m", "services.cli", "worker"], env=self.env, log=self.workdir / f"worker-{self.restarts}.log"
        )
        await asyncio.to_thread(self.worker.wait_http, f"{self.url}/readyz", 90.0)

    def stats(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.url}/v1/watchdog/stats", timeout=5).json()
        return body

    async def ticked_at(self, instant: datetime, ticks: int = 2, timeout_s: float = 30.0) -> None:
        """Wait until the worker ran ``ticks`` timer ticks with its clock at ``instant``."""
        deadline = time.monotonic() + timeout_s
        first: int | None = None
        while time.monotonic() < deadline:
            try:
                stats = self.stats()
            except httpx.HTTPError:
                stats = {}
            if stats.get("last_tick_at") == instant.isoformat():
                first = stats["ticks"] if first is None else first
                if stats["ticks"] - first >= ticks - 1:
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"no tick at {instant.isoformat()}\n{self.tail()}")

    async def watched(self, events: int, timeout_s: float = 30.0) -> None:
        """Wait until the watchdog folded at least ``events`` events."""
        await self.wait_for(lambda: self.stats()["events"] >= events, timeout_s, f"{events} events watched")

    def documents(self, suffix: str) -> list[dict[str, Any]]:
        docs = []
        for _, _, _, value in read_topic(self.kafka, self.topic(suffix), timeout_ms=500):
            try:
                docs.append(json.loads(value or b""))
            except ValueError:
                continue
        return docs

    def alerts(self, dossier: str | None = None, rule: str | None = None) -> list[dict[str, Any]]:
        return [
            d["data"]
            for d in self.documents("alerts")
            if d.get("type") == "vn.lienthong.alert.raised"
            and (dossier is None or d["data"]["dossier_code"] == dossier)
            and (rule is None or d["data"]["rule"] == rule)
        ]

    async def post(self, agency: str, event: Envelope[Any]) -> None:
        response = await self.agencies[agency].post_event(event)
        assert response.status_code == 202, response.text

    async def get(self, agency: str, path: str, **params: str) -> httpx.Response:
        """A signed GET as ``agency`` (the signature covers the path and its query string)."""
        key_id, secret = self.keys[agency]
        target = httpx.URL(path, params=params)
        headers = signed_headers(key_id, secret, "GET", target.raw_path.decode(), b"")
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return await client.get(target, headers=headers)

    async def open_handoffs(self, code: str) -> dict[str, str]:
        ledger = await self.ledger(code)
        return {h["handoff_id"]: h["to_agency"] for h in ledger["open_handoffs"]}


async def start_stack(
    bootstrap: str,
    workdir: Path,
    start: datetime,
    hook: SimulatedAgency | None,
    smtp: SmtpSink | None,
    workers: int = 1,
) -> WatchStack:
    extra = {
        "LIENTHONG_CLOCK_FILE": str(workdir / "clock.json"),
        "LIENTHONG_WATCHDOG_TICK_S": "0.2",
        "LIENTHONG_DIGEST_HOUR": "7",
        "LIENTHONG_DIGEST_MINUTE": "30",
    }
    if hook is not None:
        extra.update(
            LIENTHONG_ALERT_WEBHOOK_URL=f"{hook.url}/alerts",
            LIENTHONG_ALERT_WEBHOOK_SECRET=HOOK_SECRET,
            LIENTHONG_ALERT_WEBHOOK_MAX_ATTEMPTS="2",
            LIENTHONG_ALERT_WEBHOOK_BACKOFF_S="0.05",
        )
    if smtp is not None:
        extra.update(LIENTHONG_SMTP_HOST="127.0.0.1", LIENTHONG_SMTP_PORT=str(smtp.port))
    await asyncio.to_thread(_prepare, workdir, start)
    stack = WatchStack(bootstrap, workdir, extra=extra, workers=workers)
    await stack.start(act=False)
    return stack


def _prepare(workdir: Path, start: datetime) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")
    write_clock_file(workdir / "clock.json", start)


def alert_hook(url: str) -> SimulatedAgency:
    """The Office's alert webhook: a plain webhook receiver that checks lienthong's signature."""
    return SimulatedAgency(
        "office", kind="webhook", ingress=url, key_id="-", key_secret="-", push_secret=HOOK_SECRET, act=False
    )


def received(code: str, at: datetime) -> Envelope[Any]:
    cal = default_calendar()
    return new_event(
        "vn.lienthong.dossier.received",
        source="one-stop",
        subject=code,
        time=at,
        data={
            "procedure_code": LAND_TRANSFER,
            "workflow_version": 2,
            "receiving_unit": "one-stop",
            "channel": "counter",
            "received_at": at,
            "appointment_at": cal.add(cal.intake_start(at), cal.days(8)),
            "applicant": {"name": "Trần Văn Bình"},
        },
    )


def handoff(code: str, at: datetime, hid: str = "H1") -> Envelope[Any]:
    return new_event(
        "vn.lienthong.handoff.requested",
        source="one-stop",
        subject=code,
        time=at,
        data={
            "handoff_id": hid,
            "step_id": "land-check",
            "from_agency": "one-stop",
            "to_agency": "land-registry",
            "due": at + timedelta(days=3),
            "procedure_code": LAND_TRANSFER,
            "workflow_version": 2,
        },
    )


async def open_dossier(stack: WatchStack, code: str, at: datetime) -> None:
    """Received at ``at``, handed to the land registry an hour later (as ``H1``)."""
    await stack.post("one-stop", received(code, at))
    await stack.post("one-stop", handoff(code, at + timedelta(hours=1)))
