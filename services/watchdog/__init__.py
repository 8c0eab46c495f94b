"""The stalled-handoff watchdog: deadlines, alerts, apology notices, the late-dossier report.

It reads the event log after the router, keeps every dossier's SLA clocks (``schemas.tracking``) in a
store (RocksDB and a changelog), and a time-sorted deadline index beside it; a timer reads the index up to
"now" and the alert rules (``rules.yaml``) decide what fires. Alerts go to ``<prefix>.alerts`` (and a webhook, email);
apology notices to ``<prefix>.notices`` (and the one-stop-shop); the late report is served per month.

Usage (from the composition root)::

    install_watchdog(worker, settings, log, relay)
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from services.settings import SettingsError
from services.watchdog.clock import Clock, FileClock, ManualClock, SystemClock, clock_from_settings
from services.watchdog.engine import Outbox, Watchdog, WatchdogCounters
from services.watchdog.rules import RulesError, RuleSet, load_rules

if TYPE_CHECKING:
    from services.app import EventLog
    from services.relay import Relay
    from services.settings import Settings
    from services.stream.worker import Worker

__all__ = [
    "Clock",
    "FileClock",
    "ManualClock",
    "Outbox",
    "RuleSet",
    "SystemClock",
    "Watchdog",
    "WatchdogCounters",
    "install_watchdog",
    "load_rules",
]


def install_watchdog(worker: Worker, settings: Settings, log: EventLog, relay: Relay) -> Watchdog:
    """The watchdog's stores, its flow on the event log, its timer, the delivery of what it raises, its views."""
    from schemas.agencies import default_agencies
    from services.stream.processor import Processor
    from services.watchdog.flow import Notifier, WatchdogFlow
    from services.watchdog.notifiers import ContactsError, EmailNotifier, load_contacts, webhook_endpoint
    from services.watchdog.tables import make_topics
    from services.watchdog.views import install_views

    try:
        rules = load_rules(settings.watchdog_rules_file)
        contacts = load_contacts(settings.contacts_path)
    except (RulesError, ContactsError) as exc:
        raise SettingsError(str(exc)) from None
    clock = clock_from_settings(settings)
    topics = make_topics(settings.topic_prefix)
    states = worker.store("watchdog_state", topics.states)
    index = worker.store("watchdog_index", topics.index)
    late = worker.store("watchdog_late", topics.late)
    notices = worker.store("watchdog_notices", topics.notice_table)
    engine = Watchdog(
        relay.ctx,
        rules,
        clock,
        states=states,
        index=index,
        late=late,
        notices=notices,
        digest_at=time(settings.digest_hour, settings.digest_minute),
    )
    stores = [states, index, late, notices]
    flow = WatchdogFlow(
        engine,
        stores,
        worker.producer,
        topics.alerts,
        topics.notices,
        relay.topics,
        log.locks,
        owned=log.owned,
        ready=lambda: worker.started.is_set() and log.processor.ready,
    )
    log.pipeline.flows.append(flow)
    log.pipeline.stores.extend(stores)
    log.pipeline.on_revoked.append(flow.revoked)
    worker.timer(settings.watchdog_tick_s, "watchdog.tick")(flow.tick)

    webhook = None
    if settings.alert_webhook_url is not None and settings.alert_webhook_secret is not None:
        webhook = webhook_endpoint(
            settings.alert_webhook_url,
            settings.alert_webhook_secret.get_secret_value(),
            settings.alert_webhook_max_attempts,
            settings.alert_webhook_backoff_s,
        )
    email = None
    if settings.smtp_host is not None:
        email = EmailNotifier(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    agencies = default_agencies()
    one_stops = {
        e.agency: e
        for e in relay.endpoints
        if e.kind != "pull" and e.agency in agencies and agencies.kind_of(e.agency) == "one-stop"
    }
    notifier = Notifier(
        engine, worker.producer, relay.topics, topics.alerts, topics.notices, webhook, email, contacts, one_stops
    )
    if notifier.topics:
        worker.on_start(notifier.open)
        worker.on_stop(notifier.close)
        worker.add(
            Processor(
                "notify",
                worker.kafka,
                group=f"{settings.app_id}.notify",
                topics=notifier.topics,
                handler=notifier,
                instance_id=settings.instance,
                session_timeout_ms=int(settings.session_timeout_s * 1000),
                max_records=50,
            )
        )
    install_views(worker.web, relay.ingress, engine, states)
    return engine
