"""The router's decisions, walked through the shipped workflows without Kafka."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from schemas.events import TZ
from schemas.workcalendar import default_calendar
from schemas.workflows import load_workflows
from services.relay.routing import Decision, Ledger, RoutingContext, route
from simulators.factory import (
    FIRST_CERTIFICATE,
    JOINT_PROVINCIAL,
    LAND_TRANSFER,
    completion_data,
    dossier_received,
    handoff_requested,
    make_event,
)

CTX = RoutingContext(workflows=load_workflows(), calendar=default_calendar())
START = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # Monday
RNG = random.Random(7)


class Dossier:
    """Drives one dossier through route(), keeping the ledger and the clock."""

    def __init__(self, code: str, procedure: str, start: datetime = START) -> None:
        self.now = start
        received = dossier_received(code, procedure, self.now, budget_days=25)
        self.received = received
        self.ledger: Ledger | None = None
        assert self.apply(received).quarantine is None

    def apply(self, event: Any) -> Decision:
        decision = route(self.ledger, event, CTX)
        if decision.ledger is not None:
            self.ledger = decision.ledger
        return decision

    def tick(self, hours: float = 1) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    def post(self, source: str, event_type: str, handoff_id: str | None, **extra: Any) -> Decision:
        data = completion_data(event_type, RNG, self.now) if not extra else extra
        if handoff_id is not None:
            data = {**data, "handoff_id": handoff_id}
        return self.apply(make_event(event_type, source, self.received.subject, data, time=self.tick()))

    def open_for(self, agency: str) -> str:
        assert self.ledger is not None
        held = [h for h in self.ledger.held_by(agency) if not h.internal]
        assert held, f"{agency} holds no open handoff: {self.ledger.handoffs}"
        return held[0].handoff_id

    def handoff(self, step: str, to: str, sender: str = "one-stop", hid: str | None = None) -> Decision:
        event = handoff_requested(self.received, step, to, from_agency=sender, handoff_id=hid, at=self.tick())
        return self.apply(event)


def _told(decision: Decision) -> set[tuple[str, str]]:
    return {(e.agency, e.event.type.rsplit(".", 2)[-2] + "." + e.event.type.rsplit(".", 1)[-1]) for e in decision.emits}


def test_land_transfer_from_intake_to_result() -> None:
    d = Dossier("000.00.20.H41-261123-0001", LAND_TRANSFER)
    assert d.ledger is not None
    assert d.ledger.workflow_version == 2

    sent = d.handoff("land-check", "land-registry", hid="HS1-land-check")
    assert sent.quarantine is None
    assert _told(sent) == {("land-registry", "handoff.requested")}

    accepted = d.post("land-registry", "vn.lienthong.handoff.accepted", "HS1-land-check", officer="Trần Văn Bình")
    assert _told(accepted) == {("one-stop", "handoff.accepted")}

    cadastral = d.post("land-registry", "vn.lienthong.cadastral.sent", "HS1-land-check")
    # tax gets the new handoff and the cadastral form; one-stop does not get the taxpayer's full ID number
    assert _told(cadastral) == {("tax", "handoff.requested"), ("tax", "cadastral.sent")}
    to_tax = d.open_for("tax")
    assert d.ledger is not None
    assert d.ledger.handoffs[to_tax].due is not None

    determined = d.post("tax", "vn.lienthong.obligation.determined", to_tax)
    assert ("land-registry", "obligation.determined") in _told(determined)
    assert ("one-stop", "obligation.determined") in _told(determined)
    assert d.open_for("tax") == to_tax  # payment goes on under the same handoff

    paid = d.post("tax", "vn.lienthong.obligation.paid", to_tax)
    assert ("land-registry", "handoff.requested") in _told(paid)
    assert ("land-registry", "obligation.paid") in _told(paid)
    back = d.open_for("land-registry")

    ready = d.post("land-registry", "vn.lienthong.result.ready", back)
    assert ("one-stop", "result.ready") in _told(ready)
    assert ("one-stop", "handoff.requested") in _told(ready)
    assert d.ledger is not None
    assert d.ledger.status == "result_ready"

    returned = d.post("one-stop", "vn.lienthong.result.returned", None)
    assert returned.quarantine is None
    closed = d.apply(
        make_event(
            "vn.lienthong.dossier.closed", "one-stop", d.received.subject, {"outcome": "result_returned"}, time=d.tick()
        )
    )
    assert closed.quarantine is None
    assert d.ledger is not None
    assert d.ledger.status == "closed"
    assert not [h for h in d.ledger.open_handoffs() if not h.internal]


def test_first_certificate_with_ward_and_parallel_survey() -> None:
    d = Dossier("000.00.20.H41-261123-0002", FIRST_CERTIFICATE)
    d.handoff("land-check", "land-registry", hid="HS2-land-check")
    to_ward = d.handoff("ward-verify", "ward-loc-tho", sender="land-registry", hid="HS2-ward")
    assert to_ward.quarantine is None
    assert d.ledger is not None
    assert d.ledger.handoffs["HS2-land-check"].step_id == "survey"

    d.post("ward-loc-tho", "vn.lienthong.verification.posted", "HS2-ward")
    assert d.ledger.handoffs["HS2-ward"].step_id == "listing"
    d.post("ward-loc-tho", "vn.lienthong.listing.started", "HS2-ward")
    d.post("land-registry", "vn.lienthong.verification.posted", "HS2-land-check")  # survey done
    ended = d.post("ward-loc-tho", "vn.lienthong.listing.ended", "HS2-ward")
    assert ("land-registry", "handoff.requested") in _told(ended)  # review starts when both branches are done
    review = d.open_for("land-registry")
    d.post("land-registry", "vn.lienthong.cadastral.sent", review)
    to_tax = d.open_for("tax")
    d.post("tax", "vn.lienthong.obligation.determined", to_tax)
    d.post("tax", "vn.lienthong.obligation.paid", to_tax)
    cert = d.open_for("land-registry")
    assert d.handoff("sign", "office", sender="land-registry", hid="HS2-sign").quarantine is None
    assert d.ledger.handoffs[cert].status == "completed"
    ready = d.post("office", "vn.lienthong.result.ready", "HS2-sign")
    assert ("one-stop", "result.ready") in _told(ready)


def test_joint_procedure_forwards_to_city_department_and_one_stop() -> None:
    d = Dossier("000.00.20.H41-261123-0003", JOINT_PROVINCIAL)
    d.handoff("office-send", "office", hid="HS3-office")
    d.handoff("dept-decide", "dept-tnmt", sender="office", hid="HS3-dept")
    d.handoff("office-forward", "office", sender="dept-tnmt", hid="HS3-back")
    assert d.handoff("city-record", "city-dept-tnmt", sender="office", hid="HS3-city").quarantine is None
    assert d.handoff("result", "one-stop", sender="office", hid="HS3-result").quarantine is None
    recorded = d.post("city-dept-tnmt", "vn.lienthong.handoff.accepted", "HS3-city", officer="Lê Văn Tám")
    assert recorded.quarantine is None
    assert d.ledger is not None
    assert "city-record" in d.ledger.completed_steps


SUPPLEMENT = {
    "reasons": ["Thiếu bản sao hợp đồng chuyển nhượng có công chứng."],
    "items": ["Hợp đồng chuyển nhượng"],
    "legal_basis": "Khoản 2 Điều 9 Thông tư 24/2014/TT-BTNMT",
}


@pytest.mark.parametrize(
    ("source", "event_type", "data", "code"),
    [
        ("tax", "vn.lienthong.handoff.accepted", {"handoff_id": "HS9-land-check"}, "not_addressed"),
        ("land-registry", "vn.lienthong.handoff.accepted", {"handoff_id": "no-such-handoff"}, "not_addressed"),
        ("tax", "vn.lienthong.supplement.requested", SUPPLEMENT, "no_open_handoff"),
    ],
)
def test_acting_where_one_does_not_belong_is_quarantined(
    source: str, event_type: str, data: dict[str, Any], code: str
) -> None:
    d = Dossier("000.00.20.H41-261123-0009", LAND_TRANSFER)
    d.handoff("land-check", "land-registry", hid="HS9-land-check")
    decision = route(d.ledger, make_event(event_type, source, d.received.subject, data, time=d.tick()), CTX)
    assert decision.quarantine is not None
    assert decision.quarantine.code == code
    assert decision.ledger is None


def test_step_out_of_order_and_unknown_dossier_are_quarantined() -> None:
    d = Dossier("000.00.20.H41-261123-0010", LAND_TRANSFER)
    skipped = d.handoff("tax-assess", "tax", hid="HS10-tax")
    assert skipped.quarantine is not None
    assert skipped.quarantine.code == "out_of_order"
    stranger = handoff_requested(d.received, "land-check", "land-registry")
    orphan = stranger.model_copy(update={"subject": "000.00.20.H41-261123-9999"})
    assert route(None, orphan, CTX).quarantine.code == "unknown_dossier"  # type: ignore[union-attr]


def test_duplicate_event_is_a_no_op() -> None:
    d = Dossier("000.00.20.H41-261123-0011", LAND_TRANSFER)
    event = handoff_requested(d.received, "land-check", "land-registry", at=d.tick())
    first = d.apply(event)
    again = d.apply(event)
    assert first.emits
    assert not again.emits
    assert again.duplicate
    assert again.ledger == first.ledger


def test_bounce_reopens_the_previous_step_and_counts() -> None:
    d = Dossier("000.00.20.H41-261123-0012", LAND_TRANSFER)
    d.handoff("land-check", "land-registry", hid="HS12-land-check")
    d.post("land-registry", "vn.lienthong.cadastral.sent", "HS12-land-check")
    to_tax = d.open_for("tax")
    bounced = d.post("tax", "vn.lienthong.handoff.returned", to_tax, reason="Thiếu giá trị chuyển nhượng.")
    assert bounced.quarantine is None
    assert d.ledger is not None
    assert d.ledger.bounces == 1
    assert d.ledger.handoffs["HS12-land-check"].status == "open"
    assert d.ledger.handoffs["HS12-land-check"].step_id == "land-check"
    assert "land-check" not in d.ledger.completed_steps
    again = d.post("land-registry", "vn.lienthong.cadastral.sent", "HS12-land-check")
    assert ("tax", "handoff.requested") in _told(again)


def test_handoffs_the_router_opens_are_logged_and_read_back_as_no_ops() -> None:
    d = Dossier("000.00.20.H41-261123-0013", LAND_TRANSFER)
    d.handoff("land-check", "land-registry", hid="HS13-land-check")
    cadastral = d.post("land-registry", "vn.lienthong.cadastral.sent", "HS13-land-check")
    generated = cadastral.generated(next(e.event for e in cadastral.emits if e.event.type.endswith("cadastral.sent")))
    assert [g.type for g in generated] == ["vn.lienthong.handoff.requested"]
    echo = d.apply(generated[0])
    assert echo.duplicate


def test_the_counter_reports_a_supplement_on_another_agencys_handoff() -> None:
    d = Dossier("000.00.20.H41-261123-0014", LAND_TRANSFER)
    d.handoff("land-check", "land-registry", hid="HS14-land-check")
    asked = d.post("land-registry", "vn.lienthong.supplement.requested", "HS14-land-check", **SUPPLEMENT)
    assert ("one-stop", "supplement.requested") in _told(asked)
    arrived = d.post(
        "one-stop", "vn.lienthong.supplement.received", "HS14-land-check", items_received=["Hợp đồng chuyển nhượng"]
    )
    assert arrived.quarantine is None
    assert ("land-registry", "supplement.received") in _told(arrived)
    outsider = d.post("tax", "vn.lienthong.handoff.accepted", "HS14-land-check", officer="Lê Văn C")
    assert outsider.quarantine is not None


def test_a_dossier_keeps_the_workflow_version_in_force_when_it_was_received() -> None:
    # version 2 of the land transfer took effect on 1 August 2024 (tax's share: 2.5 working days instead of 3);
    # a dossier received in July 2024 still runs on version 1 when it reaches the tax office in November 2026
    old = Dossier("000.00.20.H41-240715-0001", LAND_TRANSFER, start=datetime(2024, 7, 15, 8, 0, tzinfo=TZ))
    new = Dossier("000.00.20.H41-261123-0009", LAND_TRANSFER)
    assert old.ledger is not None
    assert new.ledger is not None
    assert (old.ledger.workflow_version, new.ledger.workflow_version) == (1, 2)
    cal = CTX.calendar
    for dossier in (old, new):
        dossier.handoff("land-check", "land-registry", hid=f"{dossier.received.subject}-lc")
        dossier.now = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # both reach the tax office on Tuesday 24/11
        dossier.post("land-registry", "vn.lienthong.cadastral.sent", f"{dossier.received.subject}-lc")
    sent_at = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # post() ticks an hour
    # v1: 3 whole working days, counted as days. Tuesday 24/11 is Vietnamese Culture Day (a day off), so the
    # handoff counts as received on Wednesday 25 (not counted): Thu 26, Fri 27, Mon 30 -> the end of Monday 30/11.
    # v2: 2.5 days, a fraction, counted in hours (20 office hours) from the instant.
    assert old.ledger is not None
    assert new.ledger is not None
    old_tax = old.ledger.handoffs[old.open_for("tax")]
    assert old_tax.due == datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=TZ)
    new_tax = new.ledger.handoffs[new.open_for("tax")]
    assert new_tax.due == cal.add(sent_at, timedelta(hours=20))


def _reorganised(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, code: str, until: str, successor: str) -> None:
    """The router reads the packaged agencies.yaml edited as an operator would: ``code`` ends on ``until`` and
    ``successor`` takes over its work."""
    import yaml

    from schemas.agencies import AGENCIES_PATH, load_agencies

    raw = yaml.safe_load(AGENCIES_PATH.read_text(encoding="utf-8"))
    for agency in raw["agencies"]:
        if agency["code"] == code:
            agency.update(until=until, successor=successor)
    path = tmp_path / "agencies.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    registry = load_agencies(path)
    monkeypatch.setattr("services.relay.routing.default_agencies", lambda: registry)


def test_a_handoff_to_an_agency_a_reorganisation_ended_is_refused_with_its_successor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """An organisation change is an edit of agencies.yaml: Lộc Thọ ward ends on 30 November 2026 and Vĩnh Hải
    takes over; a handoff to Lộc Thọ dated 1 December is refused naming Vĩnh Hải, one dated 30 November goes."""
    _reorganised(monkeypatch, tmp_path, "ward-loc-tho", until="2026-11-30", successor="ward-vinh-hai")

    for start, ok in ((datetime(2026, 11, 30, 8, tzinfo=TZ), True), (datetime(2026, 12, 1, 8, tzinfo=TZ), False)):
        d = Dossier(f"000.00.20.H41-{start:%y%m%d}-0042", FIRST_CERTIFICATE, start=start - timedelta(hours=3))
        d.handoff("land-check", "land-registry", hid="LC")
        decision = d.handoff("ward-verify", "ward-loc-tho", sender="land-registry", hid="W")
        if ok:
            assert decision.quarantine is None
            continue
        assert decision.quarantine is not None
        assert decision.quarantine.code == "agency_ceased"
        assert "ward-vinh-hai" in decision.quarantine.reason_en
        assert "30/11/2026" in decision.quarantine.reason_vi
        assert d.handoff("ward-verify", "ward-vinh-hai", sender="land-registry", hid="W2").quarantine is None


def test_the_birth_residence_insurance_group_runs_two_branches_to_one_result() -> None:
    """The ward registers the birth and hands the dossier to the ward police (residence) and to social
    insurance (the card) at once; the result is ready only when the one-stop-shop holds both."""
    from simulators.factory import BIRTH_GROUP

    d = Dossier("000.00.20.H41-261123-0100", BIRTH_GROUP)
    assert d.handoff("birth", "ward-loc-tho", hid="B").quarantine is None
    assert d.handoff("residence", "police-loc-tho", sender="ward-loc-tho", hid="R").quarantine is None
    assert d.handoff("insurance", "social-insurance", sender="ward-loc-tho", hid="I").quarantine is None
    assert d.handoff("residence", "police-vinh-hai", sender="ward-loc-tho", hid="R2").quarantine is not None
    assert d.handoff("residence-result", "one-stop", sender="police-loc-tho", hid="RR").quarantine is None
    assert d.post("one-stop", "vn.lienthong.handoff.accepted", "RR", officer="Lê Thị Mai").quarantine is None
    assert d.ledger is not None
    assert "result" not in {h.step_id for h in d.ledger.open_handoffs()}  # the card is not in yet
    assert d.handoff("card-result", "one-stop", sender="social-insurance", hid="CR").quarantine is None
    assert d.post("one-stop", "vn.lienthong.handoff.accepted", "CR", officer="Lê Thị Mai").quarantine is None
    assert d.ledger is not None
    assert {h.step_id for h in d.ledger.open_handoffs()} == {"result"}
    ready = d.post("one-stop", "vn.lienthong.result.ready", None)
    assert ready.quarantine is None
    assert d.post("one-stop", "vn.lienthong.result.returned", None).quarantine is None
    assert d.ledger.status == "result_ready"


def test_a_step_fixed_to_an_agency_that_ceased_goes_to_its_successor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The urban management division ends on 30 November 2026 and the economic division takes over: a permit
    dossier received on 1 December is appraised by the successor although the workflow names the old unit."""
    from simulators.factory import CONSTRUCTION_PERMIT

    _reorganised(monkeypatch, tmp_path, "city-dept-qldt", until="2026-11-30", successor="city-dept-kinh-te")

    d = Dossier("000.00.20.H41-261201-0077", CONSTRUCTION_PERMIT, start=datetime(2026, 12, 1, 8, tzinfo=TZ))
    old = d.handoff("appraise", "city-dept-qldt", hid="A1")
    assert old.quarantine is not None
    assert old.quarantine.code == "agency_ceased"
    assert d.handoff("appraise", "city-dept-kinh-te", hid="A2").quarantine is None
    assert d.handoff("sign", "office", sender="city-dept-kinh-te", hid="S").quarantine is None


def test_successor_chains_end_and_today_is_counted_in_vietnam(tmp_path: Any) -> None:
    from schemas import SchemaError
    from schemas.agencies import load_agencies

    path = tmp_path / "agencies.yaml"
    path.write_text(
        "version: 1\nagencies:\n"
        "  - {code: ward-a, kind: ward, name_vi: a, name_en: a, until: 2025-06-30, successor: ward-b}\n"
        "  - {code: ward-b, kind: ward, name_vi: b, name_en: b, until: 2025-06-30, successor: ward-a}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match="circle"):
        load_agencies(path)
    path.write_text(
        "version: 1\nagencies:\n"
        "  - {code: ward-a, kind: ward, name_vi: a, name_en: a, until: 2025-06-30, successor: ward-b}\n"
        "  - {code: ward-b, kind: ward, name_vi: b, name_en: b, until: 2025-12-31, successor: ward-c}\n"
        "  - {code: ward-c, kind: ward, name_vi: c, name_en: c}\n",
        encoding="utf-8",
    )
    registry = load_agencies(path)
    assert registry.in_office("ward-a", datetime(2025, 6, 30, 23, tzinfo=TZ)) == "ward-a"
    assert registry.in_office("ward-a", datetime(2025, 7, 1, 9, tzinfo=TZ)) == "ward-b"
    assert registry.in_office("ward-a", datetime(2026, 1, 1, 9, tzinfo=TZ)) == "ward-c"
