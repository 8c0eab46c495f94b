"""Warm fail-over: how long the dossiers of a worker that dies wait before another worker routes them.

    .venv/bin/python -m benchmarks.failover_bench [--dossiers 60] [--session-timeouts 10,6]

Two workers share the event log (each holds a copy of every store, so the survivor has nothing to restore
but the last records). The land registry accepts every dossier's handoff at the survivor right after the
other worker is killed with SIGKILL (no goodbye to the group); each acceptance's arrival at the one-stop-shop is
timed from the kill. The dossiers whose partitions the dead worker held wait for the group to notice (the
session timeout, ``LIENTHONG_SESSION_TIMEOUT_S``), the rebalance and the survivor's catch-up. Baseline in the same
run: the same acceptances with both workers alive.

Needs the local broker (`lienthong kafka up`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.relay_bench import LeanClient, _pct, open_dossiers
from simulators.stack import Stack


async def _accept_all(stack: Stack, opened: list[tuple[str, str]], started: float) -> list[float]:
    """Every handoff accepted at worker 0; seconds from ``started`` to each acceptance's arrival at the one-stop."""
    one_stop = stack.agencies["one-stop"]
    key_id, secret = stack.keys["land-registry"]
    wanted = {f"{hid}-accept" for _code, hid in opened}
    async with LeanClient(stack.worker_url(0), key_id, secret) as client:
        # a request for a partition nobody routes yet is stored, then answered 503 after the ingress's timeout:
        # the router takes it once its partition has an owner again
        await asyncio.gather(*(client.accept(code, hid) for code, hid in opened))
    await stack.wait_for(
        lambda: len({r.event_id for r in one_stop.received} & wanted) >= len(wanted),
        timeout_s=120,
        what="acceptances at the one-stop-shop",
    )
    arrived = {r.event_id: r.wall for r in one_stop.received if r.event_id in wanted}
    return [at - started for at in arrived.values()]


async def run(bootstrap: str, workdir: Path, dossiers: int, session_s: float | None) -> dict[str, Any]:
    extra = {"LIENTHONG_SESSION_TIMEOUT_S": str(session_s)} if session_s else {}
    stack = Stack(bootstrap=bootstrap, workdir=workdir, workers=2, extra=extra)
    label = f"session timeout {session_s:g} s" if session_s else "both workers alive"
    print(f"  {label}: two workers, {dossiers} dossiers ...", flush=True)
    await stack.start(act=False, retry={"max_attempts": 20})
    try:
        opened = await open_dossiers(stack, dossiers, "F")
        started = time.time()
        if session_s:
            stack.kill_worker(1)
        waits = await _accept_all(stack, opened, started)
    finally:
        await stack.stop()
    moved = [w for w in waits if w > 1.0]  # routed only once the dead worker's partitions moved
    return {
        "label": label,
        "n": len(waits),
        "moved": len(moved),
        "p50": _pct(waits, 0.5),
        "max": max(waits),
        "moved_p50": _pct(moved, 0.5) if moved else float("nan"),
    }


async def main(dossiers: int, timeouts: list[float]) -> int:
    bootstrap = os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    workdir = Path(tempfile.mkdtemp(prefix="lienthong-failover-"))
    print(f"fail-over benchmark on {bootstrap} ({os.cpu_count()} cores)", flush=True)
    rows = [await run(bootstrap, workdir / "alive", dossiers, None)]
    for session_s in timeouts:
        rows.append(await run(bootstrap, workdir / f"kill-{session_s:g}", dossiers, session_s))
    print()
    print("Seconds from the kill (or from the first request, both alive) to each acceptance at the one-stop-shop")
    print(f"{'run':<28} {'dossiers':>8} {'moved':>6} {'p50 s':>7} {'moved p50 s':>12} {'max s':>7} {'vs alive':>9}")
    base = rows[0]["max"]
    for r in rows:
        print(
            f"{r['label']:<28} {r['n']:>8} {r['moved']:>6} {r['p50']:>7.2f} {r['moved_p50']:>12.2f} {r['max']:>7.2f}"
            f" {r['max'] / base:>8.0f}x"
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=60)
    parser.add_argument("--session-timeouts", default="10,6", help="seconds, comma-separated (6 at least)")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.dossiers, [float(s) for s in args.session_timeouts.split(",")])))
