"""A lienthong worker process: Kafka clients, stores, processors, timers and the web server, started and
stopped in order.

    worker = Worker(settings)
    ledger = worker.store("ledger", "lienthong.dossiers")
    worker.add(Processor(...))
    worker.timer(1.0, "watchdog.tick")(tick)
    run(worker)                      # until SIGTERM/SIGINT; stops within ``stop_timeout_s``

Start: topics of the catalog that are missing are created, the producer connects, each store opens its
local copy and starts following its changelog, the web server listens, the processors join their groups.
Stop: the reverse; batches in flight finish and are committed, nothing else is waited for longer than the
stop timeout (a broker that is gone cannot hold the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from services.failures import failure_site
from services.stream.kafka import KafkaClients, Producer
from services.stream.processor import Processor
from services.stream.store import Store
from services.web import Web

__all__ = ["Worker", "run"]

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        kafka: KafkaClients,
        state_dir: Path,
        *,
        web_host: str = "127.0.0.1",
        web_port: int = 6066,
        ensure_topics: Callable[[], None] | None = None,
        stop_timeout_s: float = 8.0,
    ) -> None:
        self.kafka = kafka
        self.state_dir = state_dir
        self.web_host = web_host
        self.web_port = web_port
        self.web = Web(client_max_size=1024 * 1024)
        self.ensure_topics = ensure_topics
        self.stop_timeout_s = stop_timeout_s
        self.stores: dict[str, Store] = {}
        self.processors: list[Processor] = []
        self.producer = Producer(kafka)
        self.started = asyncio.Event()
        self.broker_ok_at = 0.0  # monotonic time of the last successful metadata request
        self._loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._runner: web.AppRunner | None = None
        self._stores_ready = False

    # -- composition -------------------------------------------------------------------------------------
    def store(self, name: str, topic: str) -> Store:
        if name not in self.stores:
            self.stores[name] = Store(name, topic, self.state_dir / name, self.kafka)
        return self.stores[name]

    def add(self, processor: Processor) -> Processor:
        self.processors.append(processor)
        return processor

    def timer(self, interval_s: float, name: str) -> Callable[[Callable[[], Awaitable[None]]], Any]:
        """Run the decorated coroutine function every ``interval_s`` seconds (a failure is logged, not fatal)."""

        def register(fun: Callable[[], Awaitable[None]]) -> Any:
            async def loop() -> None:
                await self.started.wait()
                while True:
                    started = time.monotonic()
                    try:
                        await fun()
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - a timer keeps ticking; the log says where it failed
                        log.error("timer %s failed: %s", name, failure_site(exc))
                    await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))

            self._loops.append((name, loop))
            return fun

        return register

    def task(self, name: str, fun: Callable[[], Awaitable[None]]) -> None:
        """A long-running coroutine started once the worker is up."""

        async def loop() -> None:
            await self.started.wait()
            await fun()

        self._loops.append((name, loop))

    def on_start(self, fun: Callable[[], Awaitable[None]]) -> None:
        self._on_start.append(fun)

    def on_stop(self, fun: Callable[[], Awaitable[None]]) -> None:
        self._on_stop.append(fun)

    # -- state -------------------------------------------------------------------------------------------
    @property
    def broker_ok(self) -> bool:
        """The broker answered a metadata request within the last few seconds."""
        return time.monotonic() - self.broker_ok_at < 7.0

    @property
    def ready(self) -> bool:
        """Started, the stores hold what their changelogs held, every processor has its partitions prepared,
        and the broker answers."""
        return (
            self.started.is_set()
            and self._stores_ready
            and self.broker_ok
            and all(p.ready for p in self.processors)
            and all(s.replica_error is None for s in self.stores.values())
        )

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` reports: :attr:`ready`, and what each part says."""
        processors = {
            p.name: {"ready": p.ready, "partitions": sorted(f"{tp.topic}[{tp.partition}]" for tp in p.assignment())}
            for p in self.processors
        }
        caught_up = "ok" if self._stores_ready else "catching up"
        stores = {name: s.replica_error or caught_up for name, s in self.stores.items()}
        broker = "ok" if self.broker_ok else "unreachable"
        return {"ready": self.ready, "broker": broker, "processors": processors, "stores": stores}

    # -- start and stop ----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.ensure_topics is not None:
            await asyncio.to_thread(self.ensure_topics)
        await self.producer.start()
        self.broker_ok_at = time.monotonic()
        for store in self.stores.values():
            partitions = await self.producer.partitions_for(store.topic)
            await store.open(self.producer, len(partitions))
        self._runner = web.AppRunner(self.web.application(), access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.web_host, self.web_port).start()
        self._tasks.append(asyncio.ensure_future(self._catch_up()))
        self._tasks.append(asyncio.ensure_future(self._probe_broker()))
        for hook in self._on_start:
            await hook()
        for processor in self.processors:
            await processor.start()
        for name, loop in self._loops:
            self._tasks.append(asyncio.ensure_future(_named(name, loop)))
        self.started.set()
        log.info("worker started: web on http://%s:%d", self.web_host, self.web_port)

    async def _catch_up(self) -> None:
        """Ready for reads once every store holds what its changelog held at start (a cold start reads it all)."""
        started = time.monotonic()
        for store in self.stores.values():
            await store.caught_up()
        self._stores_ready = True
        log.info("stores caught up with their changelogs in %.1f s", time.monotonic() - started)

    async def _probe_broker(self) -> None:
        client = self.producer.inner.client
        while True:
            try:
                await asyncio.wait_for(client.fetch_all_metadata(), timeout=2.0)
                self.broker_ok_at = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - unreachable: /readyz says so, the ingress answers 503
                pass
            await asyncio.sleep(3.0)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for processor in reversed(self.processors):
            await _bounded(processor.stop(), self.stop_timeout_s / 2, f"processor {processor.name}")
        for hook in self._on_stop:
            await _bounded(hook(), 2.0, "stop hook")
        if self._runner is not None:
            await _bounded(self._runner.cleanup(), 2.0, "web server")
        for store in self.stores.values():
            await _bounded(store.close(), 2.0, f"store {store.name}")
        await _bounded(self.producer.stop(), 2.0, "producer")


async def _named(name: str, loop: Callable[[], Awaitable[None]]) -> None:
    try:
        await loop()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a background task that dies says so (and where)
        log.critical("background task %s stopped: %s", name, failure_site(exc))


async def _bounded(step: Awaitable[Any], timeout_s: float, what: str) -> None:
    try:
        await asyncio.wait_for(step, timeout=timeout_s)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("stopping %s took longer than %.0f s: left behind", what, timeout_s)
    except Exception as exc:  # noqa: BLE001 - stopping goes on whatever one part says
        log.warning("stopping %s failed: %s", what, failure_site(exc))


def run(worker: Worker) -> None:
    """Run ``worker`` until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        starting = asyncio.ensure_future(worker.start())
        waiting = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done() and starting.exception() is not None:
            waiting.cancel()
            await _bounded(worker.stop(), worker.stop_timeout_s, "worker")
            raise starting.exception()  # type: ignore[misc]
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
        else:
            await waiting
        log.info("stopping")
        await _bounded(worker.stop(), worker.stop_timeout_s, "worker")
        log.info("stopped")

    asyncio.run(main())
