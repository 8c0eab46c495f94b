"""``/metrics``: the business and technical figures in the Prometheus text exposition format (0.0.4).

Pure: :func:`exposition` renders what :class:`~services.monitor.service.Monitor` holds. Business figures
are gauges recomputed from the dossiers' state (they may go down: a dossier closes); the relay's delivery
figures are counters since the worker started. No dossier code and no personal data: labels are agency
codes, procedure codes, consumer groups and topics.

Usage::

    text = exposition(view, groups, topics, deliveries, counters, cal)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from schemas.workcalendar import WorkingCalendar
from services.monitor.snapshot import Scoped
from services.monitor.technical import STATUSES, DeliveryStats, GroupStatus
from services.relay.router import RelayCounters

__all__ = ["CONTENT_TYPE", "Exposition", "escape", "exposition"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Sample = tuple[Mapping[str, str], float | None]


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class Exposition:
    """Metric families, each with its HELP and TYPE lines once."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def add(self, name: str, kind: str, help_: str, samples: Iterable[Sample]) -> None:
        self._lines.append(f"# HELP {name} {help_}")
        self._lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            if value is None:
                continue
            rendered = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
            self._lines.append(f"{name}{{{rendered}}} {_number(value)}" if rendered else f"{name} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def exposition(
    view: Scoped,
    groups: Sequence[GroupStatus],
    topics: Mapping[str, int | None],
    deliveries: Sequence[DeliveryStats],
    counters: RelayCounters,
    cal: WorkingCalendar,
) -> str:
    out = Exposition()
    pairs = view.pairs()

    def per_pair(attr: str) -> list[Sample]:
        return [({"from": p.from_agency, "to": p.to_agency}, getattr(p.figures, attr)) for p in pairs]

    out.add("lienthong_handoffs_open", "gauge", "Open handoffs per agency pair.", per_pair("open"))
    out.add("lienthong_handoffs_overdue", "gauge", "Open handoffs past their due.", per_pair("overdue"))
    out.add(
        "lienthong_handoffs_finished",
        "gauge",
        "Finished handoffs per agency pair and verdict (Decision 766).",
        [
            ({"from": p.from_agency, "to": p.to_agency, "verdict": v}, getattr(p.figures, v))
            for p in pairs
            for v in ("early", "on_time", "late")
        ],
    )
    out.add(
        "lienthong_handoff_turnaround_working_hours",
        "gauge",
        "Turnaround of finished handoffs in working hours (median and p90).",
        [
            ({"from": p.from_agency, "to": p.to_agency, "quantile": q}, v)
            for p in pairs
            for q, v in (("0.5", p.figures.median_h), ("0.9", p.figures.p90_h))
        ],
    )
    out.add(
        "lienthong_handoff_oldest_open_working_hours",
        "gauge",
        "Working hours the oldest open handoff of the pair has run.",
        per_pair("oldest_open_h"),
    )
    out.add(
        "lienthong_handoff_supplements", "gauge", "Supplement requests on the pair's handoffs.", per_pair("supplements")
    )
    out.add("lienthong_handoff_bounces", "gauge", "Handoffs returned (bounced) per pair.", per_pair("bounces"))
    procedures = view.procedures()
    out.add(
        "lienthong_dossiers",
        "gauge",
        "Dossiers per procedure and state.",
        [
            ({"procedure": p.procedure_code, "state": s}, getattr(p.dossiers, s))
            for p in procedures
            for s in ("open", "overdue", "finished")
        ],
    )
    out.add(
        "lienthong_dossiers_finished_verdict",
        "gauge",
        "Finished dossiers per procedure and verdict (Decision 766 processing progress).",
        [
            ({"procedure": p.procedure_code, "verdict": v}, getattr(p.dossiers, v))
            for p in procedures
            for v in ("early", "on_time", "late")
        ],
    )
    overview = view.overview(cal)
    out.add(
        "lienthong_near_due",
        "gauge",
        "Steps and dossiers nearing their deadline (the daily extraction).",
        [({"kind": "handoff"}, overview.handoffs_near_due), ({"kind": "dossier"}, overview.dossiers_near_due)],
    )
    _technical(out, groups, topics, deliveries, counters)
    out.add(
        "lienthong_monitor_as_of_seconds",
        "gauge",
        "Instant of the figures (unix seconds).",
        [({}, view.as_of.timestamp())],
    )
    return out.text()


def _technical(
    out: Exposition,
    groups: Sequence[GroupStatus],
    topics: Mapping[str, int | None],
    deliveries: Sequence[DeliveryStats],
    counters: RelayCounters,
) -> None:
    parts = [(g.group, p) for g in groups for p in g.partitions]

    def tp(group: str, topic: str, partition: int) -> dict[str, str]:
        return {"group": group, "topic": topic, "partition": str(partition)}

    out.add(
        "lienthong_consumer_lag",
        "gauge",
        "Log-end offset minus committed offset per group, topic and partition.",
        [(tp(g, p.topic, p.partition), p.lag) for g, p in parts],
    )
    out.add(
        "lienthong_consumer_committed_offset",
        "gauge",
        "Committed offset per group, topic and partition.",
        [(tp(g, p.topic, p.partition), p.committed) for g, p in parts],
    )
    out.add(
        "lienthong_log_end_offset",
        "gauge",
        "Log-end offset of each partition a group consumes.",
        [(tp(g, p.topic, p.partition), p.log_end) for g, p in parts],
    )
    out.add(
        "lienthong_consumer_group_lag",
        "gauge",
        "Total lag of a group.",
        [({"group": g.group}, g.total_lag) for g in groups],
    )
    out.add(
        "lienthong_consumer_group_lag_seconds",
        "gauge",
        "Estimated age of the oldest unconsumed record of a group.",
        [({"group": g.group}, g.max_lag_seconds) for g in groups],
    )
    out.add(
        "lienthong_consumer_group_status",
        "gauge",
        "Burrow-style status of a group (1 for the current status).",
        [({"group": g.group, "status": s}, 1 if g.status == s else 0) for g in groups for s in STATUSES],
    )
    out.add(
        "lienthong_topic_records",
        "gauge",
        "Records held in the dead-letter and quarantine topics.",
        [({"topic": t}, n) for t, n in sorted(topics.items())],
    )
    out.add(
        "lienthong_deliveries_total",
        "counter",
        "Deliveries to agency systems since start, by result.",
        [({"agency": d.agency, "result": "delivered"}, d.delivered) for d in deliveries]
        + [({"agency": d.agency, "result": "dead_lettered"}, d.dead_lettered) for d in deliveries],
    )
    out.add(
        "lienthong_delivery_attempts_total",
        "counter",
        "HTTP attempts of deliveries since start.",
        [({"agency": d.agency}, d.attempts) for d in deliveries],
    )
    out.add(
        "lienthong_delivery_retries_total",
        "counter",
        "Attempts beyond the first per delivery since start.",
        [({"agency": d.agency}, d.retries) for d in deliveries],
    )
    out.add(
        "lienthong_delivery_success_ratio",
        "gauge",
        "Delivered / (delivered + dead-lettered) since start.",
        [({"agency": d.agency}, None if d.success_rate is None else d.success_rate / 100) for d in deliveries],
    )
    out.add(
        "lienthong_relay_events_total",
        "counter",
        "Events the router handled since start, by outcome.",
        [
            ({"outcome": "routed"}, counters.routed),
            ({"outcome": "duplicate"}, counters.duplicates),
            ({"outcome": "quarantined"}, counters.quarantined),
        ],
    )
