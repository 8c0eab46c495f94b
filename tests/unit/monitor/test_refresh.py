"""The Office's snapshot with a cache: served at once, refreshed in the background a page at a time."""

from __future__ import annotations

import asyncio

from services.monitor.service import Monitor

from .conftest import World, build, vn


def cached(world: World, cache_s: float) -> Monitor:
    return Monitor(world.ctx, world.engine, world.counters, world.timeline, cache_s=cache_s)


def test_without_a_cache_every_snapshot_is_computed_at_once() -> None:
    world = build()
    before = world.monitor.snapshot()
    world.receive("HS-F", vn(2026, 11, 26, 9))
    assert len(world.monitor.snapshot().dossiers) == len(before.dossiers) + 1


async def test_a_stale_snapshot_is_served_while_a_fresh_one_is_computed_between_loop_turns() -> None:
    world = build()
    monitor = cached(world, cache_s=0.01)
    first = monitor.snapshot()  # the first one: computed at once
    for i in range(450):  # enough dossiers for a few pages of evaluation
        world.receive(f"HS-N{i:03d}", vn(2026, 11, 26, 9))
    await asyncio.sleep(0.02)
    turns = 0  # of the loop given to other work while the refresh runs

    async def other_work() -> None:  # the relay's agents, say: they must get the loop while it computes
        nonlocal turns
        while True:
            turns += monitor._refresh is not None
            await asyncio.sleep(0)

    worker = asyncio.ensure_future(other_work())
    try:
        assert monitor.snapshot() is first  # stale, served at once; the fresh one is on its way
        refresh = monitor._refresh
        assert refresh is not None
        await asyncio.wait_for(refresh, timeout=10)
    finally:
        worker.cancel()
    fresh = monitor.snapshot()
    assert len(fresh.dossiers) == len(first.dossiers) + 450
    assert turns >= 3  # before the first page of 200 dossiers, and between the pages
    assert fresh == cached(world, cache_s=0).snapshot()  # the same figures as one computed at once
