"""The Office's liaison-lag monitor: dashboard, metrics, exports.

It measures two kinds of lag:

- business lag, per agency pair and per procedure: open handoffs, the oldest, turnaround in working hours
  (median, p90), overdue ones, early / on-time / late rates (Decision 766), supplements and bounces, the
  near-due and overdue lists, the monthly evaluation — computed from the watchdog's per-dossier state with
  the same SLA functions (``schemas.sla``, ``schemas.tracking``) the watchdog alerts with;
- connector lag: consumer-group lag per topic and partition (log-end minus committed offset), a
  Burrow-style status per group, lag in seconds, dead letters, quarantine, deliveries per agency.

It serves the dashboard at ``/monitor/`` (Vietnamese, English on request; sign-in), its JSON API under
``/v1/monitor/`` (``/openapi-monitor.json``), CSV exports and ``/metrics``.

Usage (from the composition root)::

    install_monitor(worker, settings, log, relay, watchdog)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from services.monitor.service import Monitor
from services.monitor.technical import LagTracker

if TYPE_CHECKING:
    from services.app import EventLog
    from services.relay import Relay
    from services.settings import Settings
    from services.stream.worker import Worker
    from services.watchdog import Watchdog

__all__ = ["LagTracker", "Monitor", "install_monitor"]


def install_monitor(worker: Worker, settings: Settings, log: EventLog, relay: Relay, watchdog: Watchdog) -> Monitor:
    """The monitor's timeline store and flow, its sampler and its views; returns the monitor."""
    from services.monitor.agents import TIMELINE_LOG, TimelineFlow, install_sampler
    from services.monitor.api import install_api
    from services.monitor.auth import Auth
    from services.monitor.kafka_lag import KafkaProbe
    from services.monitor.public_views import install_public
    from services.monitor.sessions import SessionSigner, load_check_key, load_key
    from services.monitor.users import UserStore
    from services.monitor.views import install_pages
    from services.relay.topics import prefixed

    timeline = worker.store("monitor_timeline", prefixed(TIMELINE_LOG, settings.topic_prefix))
    log.pipeline.flows.append(TimelineFlow(timeline))
    log.pipeline.stores.append(timeline)
    monitor = Monitor(
        relay.ctx,
        watchdog,
        relay.counters,
        timeline,
        cache_s=settings.monitor_cache_s,
        deadletter_topic=relay.topics.deadletter,
        quarantine_topic=relay.topics.quarantine,
    )
    tracker = LagTracker(window=settings.monitor_window)
    probe = KafkaProbe(settings.kafka, client_id=f"{settings.app_id}-monitor")
    reads = {p.group: list(p.topics) for p in worker.processors}  # this worker's groups and what they read
    groups = list(dict.fromkeys([*reads, *settings.monitor_group_list]))
    install_sampler(worker, monitor, probe, tracker, groups, settings.monitor_sample_s, reads)
    signer = SessionSigner(load_key(settings), timedelta(hours=settings.monitor_session_hours))
    auth = Auth(
        UserStore(settings.monitor_users_path), signer, relay.ingress, secure_cookie=settings.monitor_cookie_secure
    )
    check_key = load_check_key(settings)
    install_pages(worker.web, monitor, auth, settings.monitor_refresh_s, check_key)
    install_api(worker.web, monitor, auth, settings, check_key)
    install_public(worker.web, monitor, check_key, settings.public_lookups_per_hour, settings.public_trusted_proxies)
    return monitor
