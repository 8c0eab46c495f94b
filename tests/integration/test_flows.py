"""A worker that runs only some flows (LIENTHONG_FLOWS) is still a worker operators can probe."""

from __future__ import annotations

from pathlib import Path

import httpx

from simulators.stack import Stack


async def test_a_watchdog_and_monitor_worker_answers_its_probes_and_serves_no_ingress(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    stack = Stack(kafka_bootstrap, tmp_path, extra={"LIENTHONG_FLOWS": "watchdog,monitor"})
    await stack.start(act=False)  # returns once /readyz answers 200
    try:
        async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:
            assert (await client.get("/readyz")).json()["ready"] is True
            assert (await client.get("/healthz")).json()["status"] == "ok"
            assert (await client.post("/v1/events", content=b"{}")).status_code == 404  # the relay runs elsewhere
            assert (await client.get("/monitor/login")).status_code == 200
    finally:
        await stack.stop()
