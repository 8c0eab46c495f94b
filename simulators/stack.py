"""A whole lienthong on loopback: its own topics (a prefix), a real worker process, simulated agencies as
real HTTP servers, and a key provisioned for each agency. Used by the demo, the benchmarks and the tests.

    stack = Stack(bootstrap="127.0.0.1:19092", workdir=Path(".local/demo"))
    await stack.start()
    ...
    await stack.stop()
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from schemas.agencies import default_agencies
from services.kafka_access import KafkaAccess
from services.relay.auth import CredentialStore
from services.settings import settings_for
from simulators.agency import SimulatedAgency
from simulators.balancer import Balancer
from simulators.processes import Process, free_port

# agency kind -> connector kind of its system (provincial departments sit behind an LGSP-style gateway)
CONNECTOR_OF_KIND = {"one-stop": "one-stop", "land-registry": "land-registry", "tax": "tax", "dept": "lgsp"}
PUSH_SECRET = "simulated-push-secret-0123456789"


def agency_kinds() -> dict[str, str]:
    """Every registered agency -> the connector kind its simulated system speaks."""
    return {a.code: CONNECTOR_OF_KIND.get(a.kind, "webhook") for a in default_agencies().values()}


@dataclass
class Stack:
    bootstrap: str
    workdir: Path
    prefix: str = ""  # empty: a fresh one, and the stack's topics and groups are deleted when it stops
    port: int = field(default_factory=free_port)
    app_id: str | None = None  # default: "<prefix>-app", a fresh consumer group per stack
    extra: dict[str, str] = field(default_factory=dict)  # more LIENTHONG_* settings for the worker
    agencies: dict[str, SimulatedAgency] = field(default_factory=dict)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    posted: dict[str, float] = field(default_factory=dict)
    workers: int = 1  # several: each its own port and state, one consumer group, a balancer in front
    balanced: bool = False  # put the balancer in front even of one worker (it answers 503 while it is down)
    client_retry_s: float = 0.0  # the simulated agencies retry a 502/503 or a refused connection this long
    balancer_port: int = 0  # where the balancer listens (0: any free port)

    def __post_init__(self) -> None:
        self.ephemeral = not self.prefix
        if self.ephemeral:
            self.prefix = "t" + uuid.uuid4().hex[:10]
        self.ports = [self.port, *(free_port() for _ in range(self.workers - 1))]
        self.procs: list[Process | None] = [None] * self.workers
        self.balancer: Balancer | None = None

    @property
    def worker(self) -> Process | None:
        return self.procs[0]

    @worker.setter
    def worker(self, proc: Process | None) -> None:
        self.procs[0] = proc

    def worker_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    @property
    def group(self) -> str:
        return self.app_id or f"{self.prefix}-app"

    @property
    def url(self) -> str:
        """Where agencies post: the balancer when there is one, else the worker."""
        return self.balancer.url if self.balancer is not None else self.worker_url(0)

    def worker_env(self, i: int) -> dict[str, str]:
        """Worker ``i``'s settings: its own port and state directory, the stack's keys and endpoints."""
        env = {**self.env, "LIENTHONG_WEB_PORT": str(self.ports[i])}
        if i:
            env.update(
                LIENTHONG_DATA_DIR=str(self.workdir / f"worker-{i}"),
                LIENTHONG_CREDENTIALS_FILE=str(self.workdir / "credentials.json"),
                LIENTHONG_ENDPOINTS_FILE=str(self.workdir / "endpoints.yaml"),
                LIENTHONG_CONTACTS_FILE=str(self.workdir / "contacts.yaml"),
                LIENTHONG_MONITOR_USERS_FILE=str(self.workdir / "monitor-users.json"),
            )
        return env

    @property
    def env(self) -> dict[str, str]:
        return {
            "LIENTHONG_BOOTSTRAP_SERVERS": self.bootstrap,
            "LIENTHONG_TOPIC_PREFIX": self.prefix,
            "LIENTHONG_APP_ID": self.group,
            "LIENTHONG_DATA_DIR": str(self.workdir),
            "LIENTHONG_WEB_PORT": str(self.port),
            "LIENTHONG_LOG_LEVEL": "info",
            **self.extra,
        }

    @property
    def kafka(self) -> KafkaAccess:
        """How the stack's workers reach Kafka (``extra`` may hold TLS and SASL settings): for its own clients."""
        return settings_for(self.env).kafka

    def topic(self, suffix: str) -> str:
        return f"{self.prefix}.{suffix}"

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _share_keys(self) -> None:
        """Every worker signs sessions and derives check codes with the same keys, as a deployment's workers
        must (a session signed by one is read by another behind the balancer): the first worker's key files,
        copied into the others' data directories."""
        from services.monitor.sessions import key_file

        for name in ("monitor-session.key", "public-check.key"):
            key = key_file(self.workdir / name)
            for i in range(1, self.workers):
                target = self.workdir / f"worker-{i}" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists() or target.read_text(encoding="ascii").strip() != key.hex():
                    shutil.copy2(self.workdir / name, target)  # a directory left by an earlier run included

    async def start(
        self,
        act: bool = True,
        endpoint_options: dict[str, Any] | None = None,
        delay_s: tuple[float, float] = (0.05, 0.2),
        retry: dict[str, Any] | None = None,
        ready_timeout_s: float = 90.0,
        start_workers: int | None = None,
    ) -> None:
        """``endpoint_options``: per agency overrides; ``retry``: overrides for every endpoint;
        ``start_workers``: start only the first ones (the others join later with :meth:`spawn`)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._share_keys()
        if self.workers > 1 or self.balanced:
            self.balancer = Balancer([self.worker_url(i) for i in range(self.workers)], port=self.balancer_port)
            await self.balancer.start()
        applied = self.cli("topics", "apply")
        if applied.returncode != 0:
            raise RuntimeError(f"topics apply failed: {applied.stdout}{applied.stderr}")
        store = CredentialStore(self.workdir / "credentials.json")
        for code, kind in agency_kinds().items():
            active = [c for c in store.all() if c.agency == code and not c.revoked]
            self.keys[code] = (active[0].key_id, active[0].secret) if active else store.provision(code)
            agency = SimulatedAgency(
                code,
                kind=kind,
                ingress=self.url,
                key_id=self.keys[code][0],
                key_secret=self.keys[code][1],
                push_secret=PUSH_SECRET,
                act=act,
                delay_s=delay_s,
                on_post=lambda event_id, _type, at: self.posted.__setitem__(event_id, at),
                retry_s=self.client_retry_s,
            )
            await agency.start()
            self.agencies[code] = agency
        self.write_endpoints(endpoint_options or {}, retry or {})
        first = range(self.workers if start_workers is None else start_workers)
        for i in first:
            self.spawn(i)
        for i in first:
            await self.wait_ready(i, ready_timeout_s)

    def spawn(self, i: int) -> Process:
        """Start worker ``i`` (again: after :meth:`kill_worker`, with the state it left on disk)."""
        log = self.workdir / ("worker.log" if i == 0 else f"worker-{i}.log")
        if log.exists():  # keep the earlier run's log beside the new one
            log.replace(log.with_suffix(f".{int(time.time() * 1000)}.log"))
        self.procs[i] = Process(["-m", "services.cli", "worker"], env=self.worker_env(i), log=log)
        return self.procs[i]  # type: ignore[return-value]

    async def wait_ready(self, i: int, timeout_s: float = 90.0) -> float:
        """Wait until worker ``i`` answers ``/readyz``; the seconds it took."""
        proc = self.procs[i]
        assert proc is not None
        started = time.monotonic()
        await asyncio.to_thread(proc.wait_http, f"{self.worker_url(i)}/readyz", timeout_s)
        return time.monotonic() - started

    def kill_worker(self, i: int) -> None:
        """``kill -9`` worker ``i``: no shutdown, no commit, no goodbye to the group."""
        proc = self.procs[i]
        if proc is not None:
            proc.kill()

    async def halt(self, i: int) -> int:
        """Stop worker ``i`` as an operator would (SIGTERM: it finishes and commits what it holds)."""
        proc = self.procs[i]
        return await asyncio.to_thread(proc.stop) if proc is not None else 0

    def write_endpoints(self, options: dict[str, Any], retry: dict[str, Any]) -> None:
        endpoints = []
        for code, agency in self.agencies.items():
            entry: dict[str, Any] = {
                "agency": code,
                "kind": agency.kind,
                "url": agency.url,
                "secret": PUSH_SECRET,
                "timeout_s": 2,
                "max_attempts": 6,
                "backoff_initial_s": 0.05,
                "backoff_max_s": 0.5,
                **retry,
                **options.get(code, {}),
            }
            if agency.kind == "lgsp":
                entry.update(token_url=f"{agency.url}/token", client_id=code, client_secret="lgsp-client-secret-123")
            endpoints.append(entry)
        (self.workdir / "endpoints.yaml").write_text(yaml.safe_dump({"endpoints": endpoints}))

    async def stop(self, *groups: str) -> None:
        """Stop the worker and the agencies; an ephemeral stack also deletes its topics and consumer groups
        (``groups``: more of them), so test runs do not grow the broker."""
        for proc in self.procs:
            if proc is not None:
                await asyncio.to_thread(proc.stop)
        for agency in self.agencies.values():
            await agency.stop()
        if self.balancer is not None:
            await self.balancer.stop()
        if self.ephemeral:
            await asyncio.to_thread(drop_topics, self.kafka, self.prefix, [self.group, *groups])

    def tail(self) -> str:
        return "\n".join(f"--- worker {i} ---\n{p.tail(60)}" for i, p in enumerate(self.procs) if p is not None)

    async def wait_for(self, predicate: Any, timeout_s: float = 30.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{self.tail()}")

    async def ledger(self, code: str, as_agency: str = "office") -> dict[str, Any]:
        response = await self.agencies[as_agency].request("GET", f"/v1/dossiers/{code}")
        if response.status_code != 200:
            raise RuntimeError(f"GET /v1/dossiers/{code}: {response.status_code} {response.text[:300]}")
        body: dict[str, Any] = response.json()
        return body

    async def wait_ledger(
        self, code: str, predicate: Any, timeout_s: float = 30.0, what: str = "ledger"
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            response = await self.agencies["office"].request("GET", f"/v1/dossiers/{code}")
            if response.status_code == 200 and predicate(response.json()):
                body: dict[str, Any] = response.json()
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {response.text[:500]}\n{self.tail()}")
            await asyncio.sleep(0.1)

    def received(self, agency: str, types: Iterable[str] | None = None, subject: str | None = None) -> list[Any]:
        wanted = set(types) if types else None
        return [
            r
            for r in self.agencies[agency].received
            if (wanted is None or r.event_type in wanted) and (subject is None or r.subject == subject)
        ]


def drop_topics(kafka: KafkaAccess, prefix: str, groups: list[str]) -> None:
    """Delete the topics named ``<prefix>.*`` / ``<prefix>-*`` and the given consumer groups."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    admin = KafkaAdminClient(**kafka.kafka_python(request_timeout_ms=20000))
    try:
        mine = [t for t in admin.list_topics() if t.startswith((f"{prefix}.", f"{prefix}-"))]
        if mine:
            admin.delete_topics(mine)
        try:
            admin.delete_groups(groups)
        except KafkaError:
            pass  # a group that never committed does not exist
    finally:
        admin.close()


async def post_raw(url: str, body: Any, headers: Mapping[str, str | bytes]) -> httpx.Response:
    """One POST as given: ``body`` bytes, or an async iterator of chunks (sent chunked, as they come)."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await client.post(url, content=body, headers=[(k.encode(), _bytes(v)) for k, v in headers.items()])


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value
