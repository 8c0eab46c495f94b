"""The stalled-handoff watchdog: deadlines, alerts, apology notices, the late-dossier report.

It reads the event log the router reads, keeps every dossier's SLA clocks (``schemas.tracking``) in a
RocksDB table, and a time-sorted deadline index beside it; a timer reads the index up to "now" and the
alert rules (``rules.yaml``) decide what fires. Alerts go to ``<prefix>.alerts`` (and a webhook, email);
apology notices to ``<prefix>.notices`` (and the one-stop-shop); the late report is served per month.

Usage (from the composition root)::

    install_watchdog(app, settings, relay)
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from services.settings import SettingsError
from services.watchdog.clock import Clock, FileClock, ManualClock, SystemClock, clock_from_settings
from services.watchdog.engine import Outbox, Watchdog, WatchdogCounters
from services.watchdog.rules import RulesError, RuleSet, load_rules

if TYPE_CHECKING:
    import faust

    from services.relay import Relay
    from services.settings import Settings

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


def install_watchdog(app: faust.App, settings: Settings, relay: Relay) -> Watchdog:
    """Register the watchdog's tables, agents, timer and views on ``app``; returns its engine."""
    from services.watchdog.agents import install_agents
    from services.watchdog.notifiers import ContactsError, EmailNotifier, load_contacts, webhook_endpoint
    from services.watchdog.store import TableStorage
    from services.watchdog.tables import make_tables
    from services.watchdog.views import install_views

    try:
        rules = load_rules(settings.watchdog_rules_file)
        contacts = load_contacts(settings.contacts_path)
    except (RulesError, ContactsError) as exc:
        raise SettingsError(str(exc)) from None
    clock = clock_from_settings(settings)
    topics = make_tables(app, settings.topic_prefix)
    index = TableStorage(app, topics.index)
    engine = Watchdog(
        relay.ctx,
        rules,
        clock,
        states=TableStorage(app, topics.states),
        index=index,
        late=TableStorage(app, topics.late),
        notices=TableStorage(app, topics.notice_table),
        digest_at=time(settings.digest_hour, settings.digest_minute),
    )
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
    install_agents(
        app,
        relay.topics,
        topics,
        engine,
        index,
        settings.watchdog_tick_s,
        relay.endpoints,
        webhook,
        email,
        contacts,
    )
    install_views(app, relay.ingress, engine, index)
    return engine
