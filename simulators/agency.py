"""A simulated agency system: an HTTP server receiving lienthong's pushes, and an officer who answers them.

Each agency listens on loopback in the shape of its connector (one-stop ``/lienthong/events``, land registry
``/api/handoffs``, tax ``/tct/inbound`` wrapped, LGSP ``/token`` + envelope, webhook raw), checks lienthong's
signature, drops repeats by ``Idempotency-Key``, and then, after a configurable delay, does its share of the
work: it reads the dossier through the ingress API and posts the events that complete its open steps, signed
with its own key. Faults are injected on demand: an outage (503), a failure rate, scripted statuses (429 with
``Retry-After``, 4xx).

    agency = SimulatedAgency("tax", kind="tax", ingress="http://127.0.0.1:6066", key_id=..., key_secret=...)
    await agency.start()          # agency.url is the endpoint to configure in lienthong
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from aiohttp import web

from connectors import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from schemas.agencies import default_agencies
from schemas.events import TZ
from schemas.workcalendar import default_calendar
from schemas.workflows import Step, Workflow, load_workflows
from services.client import IngressClient
from simulators.factory import completion_data

__all__ = ["Received", "SimulatedAgency", "answer_text"]

_TASK = {
    "vn.lienthong.handoff.accepted": "accept",
    "vn.lienthong.verification.posted": "verification",
    "vn.lienthong.listing.started": "listing-started",
    "vn.lienthong.listing.ended": "listing-ended",
    "vn.lienthong.cadastral.sent": "cadastral",
    "vn.lienthong.obligation.determined": "obligations",
    "vn.lienthong.obligation.paid": "payment",
    "vn.lienthong.result.ready": "result",
}


def answer_text(response: httpx.Response) -> str:
    """An error answer as a person reads it: ``409 already_open: <Vietnamese> / <English>`` (the problem body's
    texts), or the status and the start of a body that is not a problem document."""
    try:
        body = response.json()
        problem = f"{body['code']}: {body['message_vi']} / {body['message_en']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {' '.join(response.text.split())[:200]}"
    return f"{response.status_code} {problem}"[:400]


@dataclass(frozen=True)
class Received:
    event_id: str
    event_type: str
    subject: str
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival


@dataclass
class SimulatedAgency:
    code: str
    kind: str  # connector kind: one-stop, land-registry, tax, lgsp, webhook
    ingress: str  # base URL of lienthong's ingress API
    key_id: str
    key_secret: str
    push_secret: str = "simulated-push-secret-0000"
    delay_s: tuple[float, float] = (0.05, 0.2)
    failure_rate: float = 0.0
    act: bool = True  # False: only receive (tests drive the agency by hand)
    seed: int = 0
    on_post: Callable[[str, str, float], None] | None = None  # (event id, type, time.time()) of each post
    received: list[Received] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)  # Idempotency-Keys delivered again (and dropped)
    requests: int = 0
    hits: list[float] = field(default_factory=list)  # time.monotonic() of every request, answered or not
    outage: bool = False
    scripted: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next statuses to answer
    port: int = 0
    outbox: list[dict[str, Any]] = field(default_factory=list)  # results for lienthong to pull
    errors: list[str] = field(default_factory=list)
    retry_s: float = 0.0  # how long a request is retried on 502/503 or a refused connection (0: never)

    def __post_init__(self) -> None:
        self._seen: set[str] = set()
        self._done: set[tuple[str, str]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._rng = random.Random(f"{self.code}:{self.seed}")
        self._workflows = load_workflows()
        self._calendar = default_calendar()
        self._runner: web.AppRunner | None = None
        self._client: IngressClient | None = None

    # -- server ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get("/results", self._results)
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = IngressClient(
            self.ingress, self.key_id, self.key_secret, retry_s=self.retry_s, max_connections=200
        )

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _results(self, request: web.Request) -> web.Response:
        """A system that cannot push: lienthong pulls ``outbox`` from it, two items a page."""
        ok = verify_signature(
            self.push_secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            b"",
            request.headers.get(SIGNATURE_HEADER, ""),
            time.time(),
        )
        if not ok:
            return web.json_response({"error": "bad signature"}, status=401)
        since = int(request.query.get("since", "0"))
        page = self.outbox[since : since + 2]
        return web.json_response({"items": page, "next": str(since + len(page))})

    async def _token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": f"tok-{self.code}", "token_type": "Bearer", "expires_in": 3600})

    async def _receive(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.hits.append(time.monotonic())
        body = await request.read()
        if self.outage:
            return web.json_response({"error": "bảo trì hệ thống"}, status=503)
        if self.scripted:
            status, headers = self.scripted.pop(0)
            return web.json_response({"error": f"scripted {status}"}, status=status, headers=headers)
        if self.failure_rate and self._rng.random() < self.failure_rate:
            return web.json_response({"error": "lỗi tạm thời"}, status=503)
        ok = verify_signature(
            self.push_secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            time.time(),
        )
        if not ok:
            return web.json_response({"error": "bad signature"}, status=401)
        key = request.headers.get("Idempotency-Key", "")
        if key in self._seen:
            self.repeats.append(key)
            return web.json_response({"status": "duplicate"}, status=200)
        obj = json.loads(body)
        event = obj.get("payload") or obj.get("body") or obj
        self._seen.add(key)
        self.received.append(Received(event["id"], event["type"], event["subject"], time.monotonic(), time.time()))
        if self.act:
            self._spawn(self._work(event["subject"], event["type"]))
        return web.json_response({"status": "received"}, status=200)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the officer gave up: say why
            self.errors.append(f"{self.code} work failed: {type(task.exception()).__name__}")

    # -- ingress client -------------------------------------------------------------------------------
    async def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        """One signed request through the reference client (with ``retry_s`` set, a 502/503 or a refused
        connection is retried, signed anew, the same body: an event keeps its id, so it is stored once)."""
        assert self._client is not None, "start() first"
        return await self._client.request(method, path, body, key)

    @property
    def retries(self) -> int:
        return self._client.retries if self._client is not None else 0

    async def post_event(self, event: Any) -> httpx.Response:
        posted = time.time()
        response = await self.request("POST", "/v1/events", json.loads(event.model_dump_json(exclude_none=True)))
        if response.status_code == 202 and self.on_post is not None:
            self.on_post(event.id, event.type, posted)
        return response

    async def post_task(self, code: str, handoff_id: str, event_type: str, data: dict[str, Any]) -> httpx.Response:
        key = f"{handoff_id}-{_TASK[event_type]}"[:120]
        posted = time.time()
        response = await self.request(
            "POST", f"/v1/dossiers/{code}/handoffs/{handoff_id}/{_TASK[event_type]}", data, key
        )
        if response.status_code == 202 and self.on_post is not None:
            self.on_post(response.json()["id"], event_type, posted)
        elif response.status_code >= 400:
            self.errors.append(f"{self.code} {event_type}: {answer_text(response)}")
        return response

    # -- the officer ------------------------------------------------------------------------------------
    async def _work(self, code: str, trigger: str) -> None:
        await asyncio.sleep(self._rng.uniform(*self.delay_s))
        lock = self._locks.setdefault(code, asyncio.Lock())
        async with lock:
            ledger = await self._ledger(code)
            if ledger is None:
                return
            workflow = self._workflows.get(ledger["procedure_code"], ledger["workflow_version"])
            if trigger == "vn.lienthong.result.ready" and default_agencies().kind_of(self.code) == "one-stop":
                await self._return_result(code, ledger)
                return
            # Work through our open steps; a step that goes on under the same handoff (payment after the
            # payment notice, listing after verification) shows up once the router has moved it on.
            for _ in range(10):
                mine = [h for h in ledger["open_handoffs"] if h["to_agency"] == self.code]
                acted = [h for h in mine if await self._do_step(code, h, workflow)]
                if not acted:
                    return
                ledger = await self._moved_on(code, acted)
                if ledger is None:
                    return

    async def _ledger(self, code: str) -> dict[str, Any] | None:
        try:
            response = await self.request("GET", f"/v1/dossiers/{code}")
        except httpx.HTTPError as exc:
            self.errors.append(f"{self.code} GET {code}: {type(exc).__name__}")
            return None
        if response.status_code != 200:
            self.errors.append(f"{self.code} GET {code}: {answer_text(response)}")
            return None
        body: dict[str, Any] = response.json()
        return body

    async def _moved_on(self, code: str, acted: list[dict[str, Any]], timeout_s: float = 10.0) -> dict[str, Any] | None:
        """The ledger once the router processed what we posted on ``acted`` handoffs (or None)."""
        before = {h["handoff_id"]: h["step_id"] for h in acted}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            ledger = await self._ledger(code)
            if ledger is None:
                return None
            now = {h["handoff_id"]: h["step_id"] for h in ledger["open_handoffs"]}
            if all(now.get(hid) != step for hid, step in before.items()):
                return ledger
        return None

    async def _do_step(self, code: str, handoff: dict[str, Any], workflow: Workflow) -> bool:
        """Do our share of the handoff's current step; False if we already did."""
        step = workflow.step(handoff["step_id"])
        marker = (handoff["handoff_id"], step.id)
        if marker in self._done:
            return False
        self._done.add(marker)
        hid = handoff["handoff_id"]
        if handoff.get("accepted_at") is None and (hid, "accepted") not in self._done:
            self._done.add((hid, "accepted"))
            await self.post_task(code, hid, "vn.lienthong.handoff.accepted", {"officer": "Cán bộ mô phỏng"})
            if "vn.lienthong.handoff.accepted" in step.completed_by:
                return True
        completion = step.completed_by[0]
        if completion == "vn.lienthong.handoff.requested":
            await self._hand_over(code, hid, step, workflow)
        elif completion == "vn.lienthong.result.returned":
            await self._return_result(code, None)
        else:
            if completion == "vn.lienthong.listing.ended":
                await self.post_task(
                    code,
                    hid,
                    "vn.lienthong.listing.started",
                    completion_data("vn.lienthong.listing.started", self._rng),
                )
            await self.post_task(code, hid, completion, completion_data(completion, self._rng))
        return True

    async def _hand_over(self, code: str, handoff_id: str, step: Step, workflow: Workflow) -> None:
        for nxt in workflow.successors(step.id):
            if nxt.starts_on == "predecessor" and (nxt.agency in (None, self.code)):
                continue  # the same agency goes on under this handoff
            target = nxt.agency or self._pick(nxt, code)
            now = datetime.now(TZ)
            cal = self._calendar
            due = nxt.budget.due(now, cal) if nxt.budget else cal.due_in_days(now, 1, cutoff=False) or now
            event_id = f"{handoff_id}-to-{nxt.id}"[:120]
            event: dict[str, Any] = {
                "specversion": "1.0",
                "id": event_id,
                "source": self.code,
                "type": "vn.lienthong.handoff.requested",
                "subject": code,
                "time": now.isoformat(),
                "schemaversion": 1,
                "correlationid": code,
                "data": {
                    "handoff_id": f"{code}-{nxt.id}"[:120],
                    "step_id": nxt.id,
                    "from_agency": self.code,
                    "to_agency": target,
                    "due": max(due, now).isoformat(),
                    "procedure_code": workflow.procedure_code,
                    "workflow_version": workflow.version,
                },
            }
            posted = time.time()
            response = await self.request("POST", "/v1/events", event)
            if response.status_code == 202 and self.on_post is not None:
                self.on_post(event_id, "vn.lienthong.handoff.requested", posted)
            elif response.status_code >= 400:
                self.errors.append(f"{self.code} handoff {nxt.id}: {answer_text(response)}")

    def _pick(self, step: Step, code: str) -> str:
        wards = sorted(a.code for a in default_agencies().of_kind(step.agency_kind or "ward"))
        return wards[sum(map(ord, code)) % len(wards)]

    async def _return_result(self, code: str, ledger: dict[str, Any] | None) -> None:
        if (code, "returned") in self._done:
            return
        self._done.add((code, "returned"))
        now = datetime.now(TZ)
        for event_type, data in (
            ("vn.lienthong.result.returned", completion_data("vn.lienthong.result.returned", self._rng)),
            ("vn.lienthong.dossier.closed", {"outcome": "result_returned"}),
        ):
            event = {
                "specversion": "1.0",
                "id": f"{code}-{event_type.rsplit('.', 1)[-1]}",
                "source": self.code,
                "type": event_type,
                "subject": code,
                "time": now.isoformat(),
                "schemaversion": 1,
                "correlationid": code,
                "data": data,
            }
            response = await self.request("POST", "/v1/events", event)
            if response.status_code >= 400:
                self.errors.append(f"{self.code} {event_type}: {answer_text(response)}")
