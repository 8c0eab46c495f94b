"""The daily digest holds exactly the near-due handoffs, grouped by agency, once a day at its hour."""

from __future__ import annotations

from typing import Any

from .conftest import CAD, Harness, ev, opened, vn

DAY = "000.00.20.H41-2603{:02d}-{:04d}"


def code(n: int) -> str:
    return DAY.format(2, n)


def items(document: dict[str, Any]) -> dict[str, set[tuple[str, str | None]]]:
    return {
        agency: {(i["dossier_code"], i["handoff_id"]) for i in found}
        for agency, found in document["data"]["agencies"].items()
    }


def test_digest_holds_exactly_the_near_due_handoffs() -> None:
    h = Harness(vn(2026, 2, 27, 7))
    # A: handed Monday 09:00 -> due Wednesday 09:00, due soon from Tuesday 15:00: near at Wednesday 07:30.
    h.post(*opened(code(1), vn(2026, 3, 2, 8)))
    # B: handed Monday 10:00 -> due Wednesday 10:00: near as well.
    h.post(*opened(code(2), vn(2026, 3, 2, 9)))
    # C: handed Tuesday 09:00 -> due Thursday 09:00, due soon from Wednesday 15:00: not yet.
    h.post(*opened(code(3), vn(2026, 3, 3, 8)))
    # D: handed Friday 27 February 09:00 -> due Tuesday 3 March 09:00: overdue, not "nearing".
    h.post(*opened(code(4), vn(2026, 2, 27, 8)))
    # E: the land registry is done on Monday 07:30; tax (2.5 days) is due Wednesday 11:30: near, for tax.
    h.post(*opened(code(5), vn(2026, 2, 27, 8)))
    h.post(ev("cadastral.sent", "land-registry", vn(2026, 3, 2, 7, 30), code(5), handoff_id="H1", **CAD))
    tax = h.open_handoff(code(5), "tax")
    # F: accepted and completed: nothing.
    h.post(*opened(code(6), vn(2026, 3, 2, 8)))
    h.post(ev("cadastral.sent", "land-registry", vn(2026, 3, 3, 9), code(6), handoff_id="H1", **CAD))

    h.tick_until(vn(2026, 3, 4, 7, 29))
    assert h.engine.maybe_digest(list(range(6))) is None  # not before 07:30
    h.tick_until(vn(2026, 3, 4, 7, 30))
    digest = h.engine.maybe_digest(list(range(6)))
    assert digest is not None
    assert items(digest) == {
        "land-registry": {(code(1), "H1"), (code(2), "H1")},
        "tax": {(code(5), tax)},
    }
    assert digest["data"]["count"] == 3
    assert digest["data"]["title_vi"] == "Danh sách hồ sơ sắp đến hạn ngày 04/03/2026"
    assert h.engine.maybe_digest(list(range(6))) is None  # once a day
    h.restart()
    assert h.engine.maybe_digest(list(range(6))) is None  # even after a restart
    h.tick_until(vn(2026, 3, 5, 7, 30))
    tomorrow = h.engine.maybe_digest(list(range(6)))
    assert tomorrow is not None
    assert items(tomorrow) == {"land-registry": {(code(3), "H1")}}


def test_no_digest_on_a_day_off() -> None:
    h = Harness(vn(2026, 3, 6, 7))
    h.post(*opened(code(1), vn(2026, 3, 6, 8)))
    h.tick_until(vn(2026, 3, 7, 9))  # Saturday
    assert h.engine.maybe_digest(list(range(6))) is None
    h.tick_until(vn(2026, 3, 8, 9))  # Sunday
    assert h.engine.maybe_digest(list(range(6))) is None
    h.tick_until(vn(2026, 3, 9, 7, 30))  # Monday: the list is there again
    assert h.engine.maybe_digest(list(range(6))) is not None
