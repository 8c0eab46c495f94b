"""``/metrics``: the business and technical figures in the Prometheus text exposition format (0.0.4).

Rendered by ``prometheus_client``: each scrape builds a fresh :class:`~prometheus_client.CollectorRegistry`
holding one :class:`Figures` collector over what :class:`~services.monitor.service.Monitor` holds, so nothing
is kept between scrapes and nothing global is mutated. Business figures are gauges recomputed from the
dossiers' state (they may go down: a dossier closes); the relay's delivery figures are counters since the
worker started. No dossier code and no personal data: labels are agency codes, procedure codes, consumer
groups and topics.

The turnaround gauge carries its quantile in the label ``q`` (``"0.5"``, ``"0.9"``), not ``quantile``: that
label belongs to summaries in Prometheus and its client, and a gauge carrying it reads as a broken summary.

Usage::

    text = exposition(view, groups, topics, deliveries, counters, cal)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from schemas.workcalendar import WorkingCalendar
from services.monitor.snapshot import Scoped
from services.monitor.technical import STATUSES, DeliveryStats, GroupStatus
from services.relay.router import RelayCounters

__all__ = ["CONTENT_TYPE", "Figures", "exposition"]

# generate_latest writes the 0.0.4 text format (CONTENT_TYPE_LATEST names the 1.0.0 one since 0.22)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
Row = tuple[Sequence[str], float | None]


def _gauge(name: str, help_: str, labels: Sequence[str], rows: Iterable[Row]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_, labels=labels)
    for values, value in rows:
        if value is not None:  # no figure yet (e.g. no finished handoff for a turnaround): no sample
            family.add_metric(values, value)
    return family


def _counter(name: str, help_: str, labels: Sequence[str], rows: Iterable[Row]) -> CounterMetricFamily:
    # the family drops the ``_total`` of ``name`` and puts it back on its samples and TYPE line
    family = CounterMetricFamily(name, help_, labels=labels)
    for values, value in rows:
        if value is not None:
            family.add_metric(values, value)
    return family


class Figures:
    """A collector of one scrape's figures: ``registry.register(Figures(...))``, then ``generate_latest``."""

    def __init__(
        self,
        view: Scoped,
        groups: Sequence[GroupStatus],
        topics: Mapping[str, int | None],
        deliveries: Sequence[DeliveryStats],
        counters: RelayCounters,
        cal: WorkingCalendar,
    ) -> None:
        self.view, self.groups, self.topics = view, groups, topics
        self.deliveries, self.counters, self.cal = deliveries, counters, cal

    def collect(self) -> Iterator[Metric]:
        yield from self._business()
        yield from self._technical()
        yield _gauge(
            "lienthong_monitor_as_of_seconds",
            "Instant of the figures (unix seconds).",
            [],
            [([], self.view.as_of.timestamp())],
        )

    def _business(self) -> Iterator[Metric]:
        pairs = self.view.pairs()
        pair = ("from", "to")

        def per_pair(attr: str) -> list[Row]:
            return [((p.from_agency, p.to_agency), getattr(p.figures, attr)) for p in pairs]

        yield _gauge("lienthong_handoffs_open", "Open handoffs per agency pair.", pair, per_pair("open"))
        yield _gauge("lienthong_handoffs_overdue", "Open handoffs past their due.", pair, per_pair("overdue"))
        yield _gauge(
            "lienthong_handoffs_finished",
            "Finished handoffs per agency pair and verdict (Decision 766).",
            (*pair, "verdict"),
            [
                ((p.from_agency, p.to_agency, v), getattr(p.figures, v))
                for p in pairs
                for v in ("early", "on_time", "late")
            ],
        )
        yield _gauge(
            "lienthong_handoff_turnaround_working_hours",
            "Turnaround of finished handoffs in working hours (median and p90, by q).",
            (*pair, "q"),
            [
                ((p.from_agency, p.to_agency, q), v)
                for p in pairs
                for q, v in (("0.5", p.figures.median_h), ("0.9", p.figures.p90_h))
            ],
        )
        yield _gauge(
            "lienthong_handoff_oldest_open_working_hours",
            "Working hours the oldest open handoff of the pair has run.",
            pair,
            per_pair("oldest_open_h"),
        )
        yield _gauge(
            "lienthong_handoff_supplements",
            "Supplement requests on the pair's handoffs.",
            pair,
            per_pair("supplements"),
        )
        yield _gauge("lienthong_handoff_bounces", "Handoffs returned (bounced) per pair.", pair, per_pair("bounces"))
        procedures = self.view.procedures()
        yield _gauge(
            "lienthong_dossiers",
            "Dossiers per procedure and state.",
            ("procedure", "state"),
            [
                ((p.procedure_code, s), getattr(p.dossiers, s))
                for p in procedures
                for s in ("open", "overdue", "finished")
            ],
        )
        yield _gauge(
            "lienthong_dossiers_finished_verdict",
            "Finished dossiers per procedure and verdict (Decision 766 processing progress).",
            ("procedure", "verdict"),
            [((p.procedure_code, v), getattr(p.dossiers, v)) for p in procedures for v in ("early", "on_time", "late")],
        )
        overview = self.view.overview(self.cal)
        yield _gauge(
            "lienthong_near_due",
            "Steps and dossiers nearing their deadline (the daily extraction).",
            ("kind",),
            [(("handoff",), overview.handoffs_near_due), (("dossier",), overview.dossiers_near_due)],
        )

    def _technical(self) -> Iterator[Metric]:
        parts = [(g.group, p) for g in self.groups for p in g.partitions]
        tp = ("group", "topic", "partition")
        yield _gauge(
            "lienthong_consumer_lag",
            "Log-end offset minus committed offset per group, topic and partition.",
            tp,
            [((g, p.topic, str(p.partition)), p.lag) for g, p in parts],
        )
        yield _gauge(
            "lienthong_consumer_committed_offset",
            "Committed offset per group, topic and partition.",
            tp,
            [((g, p.topic, str(p.partition)), p.committed) for g, p in parts],
        )
        yield _gauge(
            "lienthong_log_end_offset",
            "Log-end offset of each partition a group consumes.",
            tp,
            [((g, p.topic, str(p.partition)), p.log_end) for g, p in parts],
        )
        yield _gauge(
            "lienthong_consumer_group_lag",
            "Total lag of a group.",
            ("group",),
            [((g.group,), g.total_lag) for g in self.groups],
        )
        yield _gauge(
            "lienthong_consumer_group_lag_seconds",
            "Estimated age of the oldest unconsumed record of a group.",
            ("group",),
            [((g.group,), g.max_lag_seconds) for g in self.groups],
        )
        yield _gauge(
            "lienthong_consumer_group_status",
            "Burrow-style status of a group (1 for the current status).",
            ("group", "status"),
            [((g.group, s), 1 if g.status == s else 0) for g in self.groups for s in STATUSES],
        )
        yield _gauge(
            "lienthong_topic_records",
            "Records held in the dead-letter and quarantine topics.",
            ("topic",),
            [((t,), n) for t, n in sorted(self.topics.items())],
        )
        deliveries = self.deliveries
        yield _counter(
            "lienthong_deliveries_total",
            "Deliveries to agency systems since start, by result.",
            ("agency", "result"),
            [((d.agency, "delivered"), d.delivered) for d in deliveries]
            + [((d.agency, "dead_lettered"), d.dead_lettered) for d in deliveries],
        )
        yield _counter(
            "lienthong_delivery_attempts_total",
            "HTTP attempts of deliveries since start.",
            ("agency",),
            [((d.agency,), d.attempts) for d in deliveries],
        )
        yield _counter(
            "lienthong_delivery_retries_total",
            "Attempts beyond the first per delivery since start.",
            ("agency",),
            [((d.agency,), d.retries) for d in deliveries],
        )
        yield _gauge(
            "lienthong_delivery_success_ratio",
            "Delivered / (delivered + dead-lettered) since start.",
            ("agency",),
            [((d.agency,), None if d.success_rate is None else d.success_rate / 100) for d in deliveries],
        )
        counters = self.counters
        yield _counter(
            "lienthong_relay_events_total",
            "Events the router handled since start, by outcome.",
            ("outcome",),
            [
                (("routed",), counters.routed),
                (("duplicate",), counters.duplicates),
                (("quarantined",), counters.quarantined),
            ],
        )


def exposition(
    view: Scoped,
    groups: Sequence[GroupStatus],
    topics: Mapping[str, int | None],
    deliveries: Sequence[DeliveryStats],
    counters: RelayCounters,
    cal: WorkingCalendar,
) -> str:
    """The text of one scrape, from a registry made for it (figures are recomputed, never cached)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Figures(view, groups, topics, deliveries, counters, cal))
    return generate_latest(registry).decode("utf-8")
