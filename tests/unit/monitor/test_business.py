"""Business lag from the watchdog's state: facts per cycle, figures per pair and procedure, trends, scope."""

from __future__ import annotations

import statistics
import zlib
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.monitor.business import by_pair, median, p90, rate
from services.monitor.detail_pages import dossier_page
from services.monitor.dossier import dossier_view
from services.monitor.i18n import Texts
from services.watchdog.state import workflow_of

from .conftest import NOW, World, vn

VI = Texts("vi")


def pairs(world: World, scope: str | None = None) -> dict[tuple[str, str], object]:
    return {(p.from_agency, p.to_agency): p.figures for p in world.monitor.scoped(scope).pairs()}


def test_a_cycle_belongs_to_a_pair_only_when_a_handoff_started_it(world: World) -> None:
    cycles = [c for c in world.monitor.scoped(None).cycles if c.dossier_code == "HS-A"]
    handed = {c.step_id: c.pair for c in cycles if c.handed}
    assert handed == {
        "land-check": ("one-stop", "land-registry"),
        "tax-assess": ("land-registry", "tax"),
        "register": ("tax", "land-registry"),
        "return": ("land-registry", "one-stop"),
    }
    own = {c.step_id: c.pair for c in cycles if not c.handed}
    assert own == {"intake": ("one-stop", "one-stop"), "payment": ("tax", "tax")}  # the agency goes on


def test_pair_figures(world: World) -> None:
    land_tax = pairs(world)[("land-registry", "tax")]
    # A on time (finished on its due day), B late, C's first cycle returned (not counted), C's second open and late,
    # D open and in time
    assert (land_tax.open, land_tax.overdue, land_tax.finished) == (2, 1, 2)  # type: ignore[attr-defined]
    assert (land_tax.early, land_tax.on_time, land_tax.late) == (0, 1, 1)  # type: ignore[attr-defined]
    assert land_tax.median_h == statistics.median([15.0, 36.0])  # type: ignore[attr-defined]
    assert land_tax.p90_h == 36.0  # type: ignore[attr-defined]
    assert land_tax.bounces == 1  # type: ignore[attr-defined]
    assert land_tax.oldest_open_code == "HS-C"  # type: ignore[attr-defined]
    one_land = pairs(world)[("one-stop", "land-registry")]
    assert one_land.supplements == 1  # type: ignore[attr-defined]
    assert (one_land.open, one_land.overdue, one_land.oldest_open_code) == (1, 1, "HS-E")  # type: ignore[attr-defined]


def test_supplement_time_is_not_counted(world: World) -> None:
    (land,) = [c for c in world.monitor.scoped(None).cycles if c.dossier_code == "HS-D" and c.step_id == "land-check"]
    # Thu 19/11 08:30 -> 14:00 (3.5 working hours), paused until Mon 23/11 09:00, then -> 10:00 (1 more)
    assert land.elapsed_h == 3.5 + 1.0
    assert land.finished_verdict == "early"


def test_an_agency_sees_only_pairs_with_itself_and_the_dossiers_it_took_part_in(world: World) -> None:
    assert set(pairs(world, "tax")) == {("land-registry", "tax"), ("tax", "land-registry")}
    view = world.monitor.scoped("tax")
    assert {d.code for d in view.dossiers} == {"HS-A", "HS-B", "HS-C", "HS-D"}
    assert [r.dossier_code for r in view.near_due()] == ["HS-D"]
    state = world.monitor.dossier("HS-E")
    assert state is not None
    wf = workflow_of(state, world.ctx)
    assert dossier_view(state, wf, NOW, world.ctx.calendar, [], "tax") is None
    assert dossier_view(state, wf, NOW, world.ctx.calendar, [], None) is not None


def test_near_due_sorts_and_filters(world: World) -> None:
    view = world.monitor.scoped(None)
    rows = view.near_due()
    assert [(r.dossier_code, r.kind) for r in rows] == [("HS-D", "handoff"), ("HS-E", "dossier")]
    assert rows[0].due == vn(2026, 11, 26, 16)  # Tue 24/11 is a day off (Vietnam Culture Day)
    assert rows[0].from_agency == "land-registry"
    assert [r.dossier_code for r in view.near_due(sort="remaining", descending=True)] == ["HS-E", "HS-D"]
    assert [r.dossier_code for r in view.near_due(agency="land-registry")] == ["HS-D", "HS-E"]
    assert view.near_due(procedure="no-such-procedure") == []


def test_trends_end_today_and_count_what_is_open(world: World) -> None:
    view = world.monitor.scoped(None)
    daily = view.daily(world.ctx.calendar)
    assert len(daily) == 14
    assert daily[-1].period == "2026-11-26"
    handed_open = sum(1 for c in view.cycles if c.handed and c.open)
    assert daily[-1].open_end == handed_open
    assert sum(p.finished for p in daily) == sum(1 for c in view.cycles if c.handed and c.outcome == "completed")
    weekly = view.weekly(world.ctx.calendar)
    assert weekly[-1].period == "2026-W48"


def test_monthly_evaluation_counts_each_agencys_finished_work(world: World) -> None:
    rows = {r.agency: r for r in world.monitor.scoped(None).evaluation("2026-11", world.ctx.calendar)}
    tax = rows["tax"]
    assert (tax.finished, tax.early, tax.on_time, tax.late) == (2, 0, 1, 1)
    assert tax.overdue_open == 1  # HS-C's second assessment
    assert rows["land-registry"].overdue_open == 1  # HS-E
    assert world.monitor.scoped("tax").evaluation("2026-11", world.ctx.calendar) == [tax]
    assert world.monitor.scoped(None).evaluation("2026-10", world.ctx.calendar) == []


def test_overview_tiles(world: World) -> None:
    o = world.monitor.scoped(None).overview(world.ctx.calendar)
    assert (o.dossiers_open, o.dossiers_overdue, o.dossiers_near_due) == (4, 0, 1)
    assert (o.handoffs_open, o.handoffs_overdue, o.handoffs_near_due) == (4, 2, 1)
    assert (o.month_basis, o.month_finished, o.month_in_time_rate) == ("dossiers", 1, 100.0)
    mine = world.monitor.scoped("tax").overview(world.ctx.calendar)
    assert (mine.month_basis, mine.month_finished, mine.month_in_time_rate) == ("handoffs", 2, 50.0)


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=50))
def test_median_and_p90_lie_within_the_values(values: list[float]) -> None:
    m, q = median(values), p90(values)
    assert m is not None
    assert q is not None
    assert round(min(values), 2) <= m <= round(max(values), 2) + 0.01
    assert q in {round(v, 2) for v in values}
    assert q >= round(statistics.median_low(values), 2)


def test_empty_figures_have_no_rates() -> None:
    assert median([]) is None
    assert p90([]) is None
    assert rate(0, 0) is None
    assert by_pair([]) == []


def test_the_clock_is_the_watchdogs(world: World) -> None:
    assert world.monitor.now() == NOW
    assert world.monitor.scoped(None).as_of == NOW
    assert world.monitor.scoped(None).cycles[0].started_at == NOW - timedelta(days=10, hours=2)


def test_a_late_dossier_cancelled_stays_late_in_the_figures_and_one_cancelled_in_time_leaves_them() -> None:
    from .conftest import World

    w = World()
    w.receive("HS-LATE", vn(2026, 11, 2, 8))  # 8 working days end with Thursday 12/11
    w.to_land("HS-LATE", vn(2026, 11, 2, 9))
    w.post("dossier.cancelled", "one-stop", "HS-LATE", vn(2026, 11, 20, 9), reason=".", requested_by="agency")
    w.receive("HS-KEPT", vn(2026, 11, 16, 8))
    w.post(
        "dossier.cancelled",
        "one-stop",
        "HS-KEPT",
        vn(2026, 11, 17, 9),
        reason="Công dân rút hồ sơ để bổ sung giấy tờ thừa kế trước khi nộp lại.",
        requested_by="citizen",
    )
    (land,) = w.monitor.scoped(None).procedures()
    assert (land.dossiers.finished, land.dossiers.late, land.dossiers.early, land.dossiers.on_time) == (2, 1, 0, 0)


def test_the_share_of_online_dossiers_and_their_wait_for_intake() -> None:
    """Counted by hand (office hours 07:00-11:30, 13:30-17:00): submitted on the portal on Saturday 14 November
    10:00 and taken in on Monday 16 November 08:00, the dossier waited 1 working hour; submitted Monday 16 at
    15:00 and taken in Tuesday 17 at 09:00, 2 + 2 = 4 working hours. Median 2.5; 2 of 3 dossiers online."""
    w = World()
    w.receive("HS-ON1", vn(2026, 11, 16, 8), "online", vn(2026, 11, 14, 10))
    w.receive("HS-ON2", vn(2026, 11, 17, 9), "online", vn(2026, 11, 16, 15))
    w.receive("HS-CT", vn(2026, 11, 17, 10))
    [land] = w.monitor.scoped(None).procedures()
    figures = land.dossiers
    assert (figures.received, figures.online, figures.online_rate) == (3, 2, 66.7)
    assert figures.online_intake_median_h == 2.5


def test_suspended_time_is_shown_not_hidden() -> None:
    """Counted by hand: suspended Tuesday 17 November 09:00 to Wednesday 18 09:00 (8 working hours), again
    from Thursday 19 at 15:00 and still at Thursday 26 10:00: 2 + 8 (Fri 20) + 8 (Mon 23) + 8 (Wed 25; Tue 24
    is a day off) + 3 = 29; 37 working hours in all."""
    w = World()
    w.receive("HS-S", vn(2026, 11, 16, 8))
    lc = w.to_land("HS-S", vn(2026, 11, 16, 9))
    stop = {"handoff_id": lc, "legal_basis": "Nghị định 101/2024/NĐ-CP"}
    w.post(
        "dossier.suspended",
        "land-registry",
        "HS-S",
        vn(2026, 11, 17, 9),
        ground="applicant-request",
        reason="Người yêu cầu đề nghị tạm dừng để bổ sung thỏa thuận.",
        **stop,
    )
    w.post("dossier.resumed", "land-registry", "HS-S", vn(2026, 11, 18, 9), handoff_id=lc, reason="Đã thỏa thuận.")
    w.post(
        "dossier.suspended",
        "land-registry",
        "HS-S",
        vn(2026, 11, 19, 15),
        ground="dispute",
        reason="Tòa án thụ lý tranh chấp ranh giới thửa đất.",
        **stop,
    )
    view = w.monitor.scoped(None)
    [fact] = [d for d in view.dossiers if d.code == "HS-S"]
    assert (fact.suspended, fact.suspended_h) == (True, 37.0)
    [land] = view.procedures()
    assert land.dossiers.suspended == 1
    state = w.engine.load(zlib.crc32(b"HS-S") % 6, "HS-S")
    assert state is not None
    page = dossier_page(dossier_view(state, workflow_of(state, w.ctx), NOW, w.ctx.calendar, [], None), VI, {})
    # 37 working hours of 8-hour working days
    assert "<dt>Thời gian tạm dừng</dt><dd>4,6 ngày (đang tạm dừng)</dd>" in page.main(VI)
