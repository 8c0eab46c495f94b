"""The watchdog sees the dossier as the router does: refused events and repeats change nothing."""

from __future__ import annotations

from schemas import default_calendar, default_workflows
from services.relay.routing import RoutingContext, route
from services.watchdog import load_rules
from services.watchdog.state import advance

from .conftest import CAD, Harness, ev, opened, received, vn

CODE = "000.00.20.H41-260302-0100"


def test_events_the_router_refuses_change_nothing() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    before = h.engine.load(h.partition(CODE), CODE)
    # tax accepts a handoff addressed to the land registry: the router quarantines it
    h.post(ev("handoff.accepted", "tax", vn(2026, 3, 2, 10), CODE, handoff_id="H1"))
    assert h.engine.load(h.partition(CODE), CODE) == before
    assert h.engine.counters.ignored == 1
    h.tick_until(vn(2026, 3, 2, 15))
    assert h.fired("H1", "unacknowledged")  # still unacknowledged by its receiver


def test_events_of_an_unknown_dossier_and_repeats_are_ignored() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    stray = ev("handoff.accepted", "land-registry", vn(2026, 3, 2, 9), "000.00.20.H41-260302-9999", handoff_id="X")
    h.post(stray)
    assert h.engine.counters.ignored == 1
    events = opened(CODE, vn(2026, 3, 2, 8))
    h.post(*events)
    h.post(*events)  # redelivered after a crash: no-ops
    assert h.engine.counters.ignored == 3


def test_handoffs_the_router_opens_are_tracked_at_once_and_their_log_copies_are_repeats() -> None:
    ctx = RoutingContext(default_workflows(), default_calendar())
    rules = load_rules()
    state = None
    for event in opened(CODE, vn(2026, 3, 2, 8)):
        state = advance(state, event, ctx, rules) or state
    assert state is not None
    sent = ev("cadastral.sent", "land-registry", vn(2026, 3, 3, 9), CODE, handoff_id="H1", **CAD)
    generated = route(state.ledger, sent, ctx).generated(sent)  # what the router writes back to the log
    assert len(generated) == 1
    after = advance(state, sent, ctx, rules)
    assert after is not None
    tax = generated[0].data.handoff_id
    assert after.dossier.open_handoffs() == {tax: "tax"}
    assert after.activity[tax] == vn(2026, 3, 3, 9)
    assert advance(after, generated[0], ctx, rules) is None  # the copy read back from the log


def test_received_twice_is_refused() -> None:
    ctx = RoutingContext(default_workflows(), default_calendar())
    first = advance(None, received(CODE, vn(2026, 3, 2, 8)), ctx, load_rules())
    assert first is not None
    assert advance(first, received(CODE, vn(2026, 3, 2, 9)), ctx, load_rules()) is None
    assert first.applicant == "Nguyễn Thị Hồng"
