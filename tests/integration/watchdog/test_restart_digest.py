"""The watchdog across worker restarts (with and without its local RocksDB state) and the daily digest.

One worker, one fake clock moving forward; the tests run in file order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from schemas import new_event

from .support import WatchStack, open_dossier, start_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAD: dict[str, Any] = {
    "form_number": "PCTT-7",
    "taxpayer_name": "Lê Thị Mai",
    "taxpayer_id_number": "056190654321",
    "parcel": {"map_sheet": "7", "parcel_number": "31", "area_m2": 120.0, "land_use_code": "ODT"},
}


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def code(n: int) -> str:
    return f"000.00.20.H41-260227-{n:04d}"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WatchStack]:
    system = await start_stack(
        kafka_bootstrap, Path(tmp_path_factory.mktemp("wd-restart")), vn(2026, 2, 27, 6), None, None
    )
    try:
        yield system
    finally:
        await system.stop()


def digests(stack: WatchStack, day: str) -> list[dict[str, Any]]:
    return [
        d["data"]
        for d in stack.documents("alerts")
        if d.get("type") == "vn.lienthong.digest.published" and d["data"]["date"] == day
    ]


async def test_digest_at_its_hour_lists_exactly_the_near_due_handoffs(stack: WatchStack) -> None:
    await open_dossier(stack, code(1), vn(2026, 3, 2, 8))  # H1 due Wednesday 09:00: near at Wednesday 07:30
    await open_dossier(stack, code(2), vn(2026, 3, 2, 9))  # due Wednesday 10:00: near
    await open_dossier(stack, code(3), vn(2026, 3, 3, 8))  # due Thursday 09:00: not yet
    await open_dossier(stack, code(4), vn(2026, 2, 27, 8))  # due Tuesday 09:00: overdue, not "nearing"
    await open_dossier(stack, code(5), vn(2026, 2, 27, 8))  # the land registry is done Monday 07:30...
    sent = new_event(
        "vn.lienthong.cadastral.sent",
        source="land-registry",
        subject=code(5),
        time=vn(2026, 3, 2, 7, 30),
        data={"handoff_id": "H1", **CAD},
    )
    await stack.wait_ledger(code(5), lambda b: "H1" in b["handoffs"], what="the land registry's handoff")
    await stack.post("land-registry", sent)
    await stack.watched(11)
    (tax,) = await stack.open_handoffs(code(5))  # ...and tax's 2.5 days run to Wednesday 11:30: near
    stack.set_clock(vn(2026, 3, 4, 7, 29))
    await stack.ticked_at(vn(2026, 3, 4, 7, 29))
    assert not digests(stack, "2026-03-04")
    stack.set_clock(vn(2026, 3, 4, 7, 30))
    await stack.wait_for(lambda: digests(stack, "2026-03-04"), 30, "the digest")
    (digest,) = digests(stack, "2026-03-04")
    found = {a: {(i["dossier_code"], i["handoff_id"]) for i in items} for a, items in digest["agencies"].items()}
    assert found == {"land-registry": {(code(1), "H1"), (code(2), "H1")}, "tax": {(code(5), tax)}}
    served = await stack.get("office", "/v1/digest")
    assert served.status_code == 200
    assert served.json()["data"]["agencies"] == digest["agencies"]
    mine = await stack.get("tax", "/v1/digest")
    assert set(mine.json()["data"]["agencies"]) == {"tax"}


async def test_restart_between_a_deadline_and_its_tick_neither_loses_nor_duplicates(stack: WatchStack) -> None:
    r = code(10)
    # H1 at 09:00: unacknowledged at 15:00; 2 working days after Wednesday: due the end of Friday 6 March
    await open_dossier(stack, r, vn(2026, 3, 4, 8))
    await stack.watched(13)
    await stack.ticked_at(vn(2026, 3, 4, 7, 30))
    await stack.stop_worker()
    stack.set_clock(vn(2026, 3, 4, 16))  # the deadline passes while the worker is down
    await stack.start_worker()
    await stack.wait_for(lambda: stack.alerts(r, "unacknowledged"), 60, "the alert after the restart")
    await stack.ticked_at(vn(2026, 3, 4, 16), ticks=5)
    (alert,) = stack.alerts(r, "unacknowledged")
    assert alert["at"] == vn(2026, 3, 4, 15).isoformat()  # the deadline, not the restart

    # Down again, this time losing the local tables: they come back from their changelogs.
    await stack.stop_worker()
    stack.set_clock(vn(2026, 3, 9, 9, 30))  # past H1's due (the end of Friday 6 March)
    await stack.start_worker(wipe_local_state=True)
    await stack.wait_for(lambda: stack.alerts(r, "overdue"), 60, "the overdue alert after recovery")
    await stack.ticked_at(vn(2026, 3, 9, 9, 30), ticks=5)
    assert [(a["level"], a["at"]) for a in stack.alerts(r, "overdue") if a["subject"] == "H1"] == [
        (1, vn(2026, 3, 7).isoformat())  # from the first instant after its due day, not the restart
    ]
    assert len(stack.alerts(r, "unacknowledged")) == 1
    assert len(digests(stack, "2026-03-04")) == 1  # the day's digest is not sent again either
    everything = [
        (a["dossier_code"], a["subject"], a["step_id"], a["cycle"], a["rule"], a["level"]) for a in stack.alerts()
    ]
    assert len(everything) == len(set(everything)), "an alert was raised twice"
