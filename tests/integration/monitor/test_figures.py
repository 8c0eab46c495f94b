"""The dashboard's figures equal an independent computation from the event log.

The test reads ``<prefix>.events`` with kafka-python, folds each dossier's events with ``schemas.tracking``
and counts with its own code; the monitor computes from the watchdog's state table. Both at the same
instant (the fake clock)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

import httpx
import pytest

from schemas import default_calendar, default_workflows, fold, parse_event
from services.watchdog.cli import read_topic

from .support import NOW, MonitorStack, code

pytestmark = pytest.mark.asyncio(loop_scope="package")


def event_log(stack: MonitorStack) -> dict[str, list[Any]]:
    """Each dossier's events, each once, in the order they happened (the log's order among equal times)."""
    seen: set[str] = set()
    per_dossier: dict[str, list[tuple[Any, int, int]]] = defaultdict(list)
    for partition, offset, _, value in read_topic(stack.kafka, stack.topic("events")):
        event = parse_event(value or b"")
        if event.id not in seen:
            seen.add(event.id)
            per_dossier[event.subject].append((event, partition, offset))
    return {
        subject: [e for e, _, _ in sorted(items, key=lambda i: (i[0].time, i[1], i[2]))]
        for subject, items in per_dossier.items()
    }


def independent(log: dict[str, list[Any]]) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, Any]]:
    cal, workflows = default_calendar(), default_workflows()
    pairs: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "open": 0,
            "overdue": 0,
            "hours": [],
            "early": 0,
            "on_time": 0,
            "late": 0,
            "supplements": 0,
            "bounces": 0,
            "oldest": None,
        }
    )
    dossiers = {"received": 0, "open": 0, "overdue": 0, "finished": 0, "early": 0, "on_time": 0, "late": 0}
    late_codes = set()
    for subject, events in log.items():
        received = events[0].data
        state = fold(events, workflows.get(received.procedure_code, received.workflow_version), cal)
        assert not state.anomalies, state.anomalies
        for run in state.steps.values():
            for cycle, status in zip(run.clock.cycles, run.clock.statuses(NOW, cal), strict=True):
                info = state.handoffs.get(cycle.ref) if cycle.ref else None
                if info is None or info.step_id != run.step_id:
                    continue  # not started by a handoff
                pair = pairs[(info.from_agency, info.to_agency)]
                if status.stopped_at is None:
                    pair["open"] += 1
                    pair["overdue"] += status.verdict == "late"
                    if pair["oldest"] is None or (cycle.started_at, subject) < pair["oldest"]:
                        pair["oldest"] = (cycle.started_at, subject)
                elif status.outcome == "completed":
                    # turnaround: office time from the handoff to the result, paused time excluded
                    pauses = [(a, b or cycle.stopped_at) for a, b in cycle.pauses]
                    worked = cal.elapsed(cycle.started_at, status.stopped_at, pauses)
                    pair["hours"].append(worked.total_seconds() / 3600)
                    if status.verdict is not None:
                        pair[status.verdict] += 1
        for event in events:
            ref = getattr(event.data, "handoff_id", None)
            kind = {"vn.lienthong.supplement.requested": "supplements", "vn.lienthong.handoff.returned": "bounces"}
            if event.type in kind and ref in state.handoffs:
                info = state.handoffs[ref]
                pairs[(info.from_agency, info.to_agency)][kind[event.type]] += 1
        status = state.clock.status(NOW, cal)
        dossiers["received"] += 1
        if status.stopped_at is None:
            dossiers["open"] += 1
            dossiers["overdue"] += status.verdict == "late"
        else:
            dossiers["finished"] += 1
            dossiers[status.verdict or "none"] = dossiers.get(status.verdict or "none", 0) + 1
        if status.verdict == "late":
            late_codes.add(subject)
    return pairs, {**dossiers, "late_codes": late_codes}


def p90(values: list[float]) -> float | None:
    return round(sorted(values)[math.ceil(len(values) * 0.9) - 1], 2) if values else None


async def api(stack: MonitorStack, path: str, user: str = "vp.lan") -> Any:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:
        await stack.login(client, user)
        response = await client.get(path)
        assert response.status_code == 200, response.text
        return response.json()


async def test_pair_figures_equal_a_fold_of_the_event_log(stack: MonitorStack) -> None:
    body = await api(stack, "/v1/monitor/pairs")
    assert body["as_of"].startswith("2026-11-26T10:00:00")
    expected, _ = independent(event_log(stack))
    got = {(p["from_agency"], p["to_agency"]): p["figures"] for p in body["pairs"]}
    assert set(got) == set(expected)
    for pair, want in expected.items():
        figures = got[pair]
        hours = want["hours"]
        assert figures["open"] == want["open"], pair
        assert figures["overdue"] == want["overdue"], pair
        assert figures["finished"] == len(hours), pair
        assert figures["median_h"] == (round(statistics.median(hours), 2) if hours else None), pair
        assert figures["p90_h"] == p90(hours), pair
        assert (figures["early"], figures["on_time"], figures["late"]) == (want["early"], want["on_time"], want["late"])
        assert (figures["supplements"], figures["bounces"]) == (want["supplements"], want["bounces"]), pair
        assert figures["oldest_open_code"] == (want["oldest"][1] if want["oldest"] else None), pair
    # the fortnight is what it is meant to be: a late handoff, an overdue one, a bounce, a supplement
    land_tax = got[("land-registry", "tax")]
    assert land_tax["late"] >= 1
    assert land_tax["bounces"] == 1
    assert got[("one-stop", "land-registry")]["overdue"] >= 1
    assert got[("one-stop", "land-registry")]["supplements"] == 1


async def test_dossier_figures_and_the_overdue_list_equal_the_fold(stack: MonitorStack) -> None:
    _, want = independent(event_log(stack))
    procedures = (await api(stack, "/v1/monitor/procedures"))["procedures"]
    (land,) = procedures
    got = land["dossiers"]
    for key in ("received", "open", "overdue", "finished", "early", "on_time", "late"):
        assert got[key] == want.get(key, 0), key
    overdue = (await api(stack, "/v1/monitor/overdue"))["items"]
    assert {row["dossier_code"] for row in overdue} == want["late_codes"] == {code(6)}
    (row,) = overdue
    assert row["responsible_agency"] == "land-registry"
    assert row["apology_issued"] is True
    assert any("hệ thống phần mềm gặp sự cố" in r["text"] and r["agency"] == "land-registry" for r in row["reasons"])
    overview = (await api(stack, "/v1/monitor/overview"))["overview"]
    assert overview["dossiers_open"] == want["open"]
    assert overview["dossiers_overdue"] == want["overdue"]


async def test_near_due_list_is_the_watchdogs_digest(stack: MonitorStack) -> None:
    items = (await api(stack, "/v1/monitor/near-due"))["items"]
    response = await stack.agencies["office"].request("GET", "/v1/digest")
    digest = response.json()["data"]["agencies"]
    from_watchdog = {(i["dossier_code"], i["handoff_id"], i["kind"]) for rows in digest.values() for i in rows}
    assert {(i["dossier_code"], i["handoff_id"], i["kind"]) for i in items} == from_watchdog
    assert (code(4), "handoff") in {(i["dossier_code"], i["kind"]) for i in items}  # tax, due this afternoon
    assert (code(5), "dossier") in {(i["dossier_code"], i["kind"]) for i in items}  # the dossier due today
    assert [i["due"] for i in items] == sorted(i["due"] for i in items)
