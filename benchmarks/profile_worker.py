"""Where a full worker's time goes under load: py-spy samples the worker while a lean client offers signed
acceptances at a fixed rate (the load of ``relay_bench``'s 500 events/s row), and the worker's own CPU time is
read from ``/proc`` before and after.

    .venv/bin/python -m benchmarks.profile_worker [--rate 500] [--seconds 6] [--flows relay,watchdog,monitor]
    .venv/bin/python -m benchmarks.profile_worker --preload 5000 [--flows ...]

Needs the local broker (`lienthong kafka up`) and py-spy (in the dev dependencies). Prints the worker's CPU
milliseconds per accepted POST (everything it causes: ingress, routing, the watchdog, the monitor, delivery to
the one-stop-shop, the receipts), then the samples per part of the code (inclusive: a sample counts for every
part on its stack), then the functions with the most samples of their own. ``--preload N`` profiles
relay_bench's throughput case instead: N dossiers (2N events) written to the event log first, then routed by a
fresh worker (no HTTP), with its CPU per event. The raw profile (collapsed stacks, for speedscope or
flamegraph.pl) is kept beside the worker's log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.relay_bench import _preload, _span, latency_at, offer, open_dossiers
from simulators.stack import Stack

# part of the code -> substrings of a frame ("function (file:line)") that belong to it; first match wins per part
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("ingress HTTP (aiohttp server)", ("aiohttp/web_protocol", "aiohttp/web_app", "aiohttp/http_parser")),
    ("ingress: verify, nonce, decide", ("services/relay/auth", "services/relay/nonces", "services/relay/ingress")),
    ("ingress: publish and wait", ("services/relay/publish", "services/relay/receipts")),
    ("router", ("services/relay/router",)),
    ("watchdog flow", ("services/watchdog/",)),
    ("monitor flow", ("services/monitor/",)),
    ("delivery (outbound)", ("services/relay/delivery", "connectors/")),
    ("stores (RocksDB, changelog)", ("services/stream/store",)),
    ("routing decision (route)", ("services/relay/routing",)),
    ("pydantic (validate, dump)", ("pydantic/", "pydantic_core")),
    ("aiokafka producer", ("aiokafka/producer",)),
    ("aiokafka consumer", ("aiokafka/consumer",)),
    ("aiokafka protocol, connection", ("aiokafka/conn", "aiokafka/protocol", "aiokafka/record", "aiokafka/client")),
    ("httpx / httpcore (outbound client)", ("httpx/", "httpcore/")),
    ("asyncio event loop", ("asyncio/",)),
]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summarise(raw: Path, top: int = 25) -> None:
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_s)
        frames = stack.split(";")
        if "select (selectors.py" in frames[-1]:
            continue  # waiting for the network: idle
        total += count
        own[frames[-1]] += count
        for name, needles in PARTS:
            if any(needle in frame for frame in frames for needle in needles):
                parts[name] += count
    if not total:
        print("no samples")
        return
    print(f"\nSamples per part of the code (inclusive; {total} samples of the worker's threads, idle waits left out)")
    print(f"{'part':<40} {'samples':>8} {'share':>7}")
    for name, _needles in PARTS:
        print(f"{name:<40} {parts[name]:>8} {parts[name] / total:>7.1%}")
    print(f"\nFunctions with the most samples of their own (top {top})")
    print(f"{'samples':>8} {'share':>7}  function")
    for frame, count in own.most_common(top):
        print(f"{count:>8} {count / total:>7.1%}  {frame[:130]}")


def _record(spy: str, pid: int, raw: Path, seconds: float) -> list[str]:
    rate = ["--rate", "200", "--nonblocking", "--format", "raw"]
    return [spy, "record", "--pid", str(pid), *rate, "--output", str(raw), "--duration", str(int(seconds))]


async def preloaded(spy: str, dossiers: int, flows: str) -> int:
    """The throughput case: a fresh worker routes events already on the log; py-spy from its start."""
    bootstrap = os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    workdir = Path(tempfile.mkdtemp(prefix="lienthong-profile-"))
    print(f"profile of a worker running {flows} over {dossiers} preloaded dossiers on {bootstrap}", flush=True)
    stack = Stack(bootstrap=bootstrap, workdir=workdir, extra={"LIENTHONG_FLOWS": flows})
    assert stack.cli("topics", "apply").returncode == 0
    events = await asyncio.to_thread(_preload, bootstrap, stack.topic("events"), dossiers)
    raw = workdir / "worker.profile.txt"
    try:
        await stack.start(act=False)
        assert stack.worker is not None
        pid = stack.worker.proc.pid
        cpu0 = cpu_seconds(pid)
        spy_proc = await asyncio.create_subprocess_exec(
            *_record(spy, pid, raw, 600), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        seconds, routed = await asyncio.to_thread(_span, bootstrap, stack.topic("outbound.land-registry"), dossiers)
        cpu = cpu_seconds(pid) - cpu0
        spy_proc.send_signal(signal.SIGINT)  # py-spy writes what it has sampled so far
        await asyncio.wait_for(spy_proc.wait(), 60)
    finally:
        await stack.stop()
    eps = events * routed / dossiers / seconds if seconds else float("nan")
    print()
    print(f"{'events':>8} {'events/s':>9} {'worker CPU s':>12} {'CPU µs per event':>16}")
    print(f"{events:>8} {eps:>9.0f} {cpu:>12.2f} {cpu * 1e6 / events:>16.0f}")
    if raw.exists():
        summarise(raw)
        print(f"\nraw profile (collapsed stacks): {raw}")
    return 0


async def main(spy: str, rate: float, seconds: float, flows: str) -> int:
    bootstrap = os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    workdir = Path(tempfile.mkdtemp(prefix="lienthong-profile-"))
    print(f"profile of a worker running {flows} on {bootstrap}, {rate:g} POST/s for {seconds:g} s", flush=True)
    stack = Stack(bootstrap=bootstrap, workdir=workdir, extra={"LIENTHONG_FLOWS": flows})
    await stack.start(act=False, retry={"max_attempts": 20})
    raw = workdir / "worker.profile.txt"
    try:
        assert stack.worker is not None
        pid = stack.worker.proc.pid
        # warm up (connections, caches), then measure a run of its own
        await latency_at(stack, min(rate, 100), 1, "W")
        n = int(rate * seconds)
        print(f"  opening {n} dossiers ...", flush=True)
        opened = await open_dossiers(stack, n, "P")
        spy_proc = await asyncio.create_subprocess_exec(
            *_record(spy, pid, raw, seconds + 3), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        row = await offer(stack, opened, rate)
        cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - wall0
        await asyncio.wait_for(spy_proc.wait(), 60)
    finally:
        await stack.stop()
    accepted = row["n"]
    print()
    print(
        f"{'offered/s':>9} {'achieved/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'worker CPU s':>12} {'wall s':>7}"
        f" {'CPU ms per POST':>15}"
    )
    print(
        f"{rate:>9g} {row['achieved']:>10.0f} {row['p50']:>8.1f} {row['p99']:>8.1f} {cpu:>12.2f} {wall:>7.1f}"
        f" {cpu * 1000 / max(1, accepted):>15.2f}"
    )
    if raw.exists():
        summarise(raw)
        print(f"\nraw profile (collapsed stacks): {raw}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--flows", default="relay,watchdog,monitor")
    parser.add_argument("--preload", type=int, default=0, help="profile routing N preloaded dossiers instead")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        sys.exit("py-spy is not installed (it is in the dev dependencies: bash deploy/bootstrap.sh)")
    if args.preload:
        sys.exit(asyncio.run(preloaded(spy, args.preload, args.flows)))
    sys.exit(asyncio.run(main(spy, args.rate, args.seconds, args.flows)))
