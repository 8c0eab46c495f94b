"""`lienthong` subcommands of the watchdog (registered by services.cli).

    lienthong alerts list [--dossier CODE] [--agency A] [--rule R] [--json]
    lienthong notices list [--dossier CODE] [--json]
    lienthong report late --month 2026-11 [--agency A] [--json]

They read Kafka directly (the alerts and notices topics, the late report's compacted changelog), so
they work with any number of workers and without one running.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from services.clierror import HelpFormatter, agency_code
from services.kafka_access import KafkaAccess
from services.settings import Settings

__all__ = ["read_topic", "register"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def read_topic(
    kafka: KafkaAccess, topic: str, timeout_ms: int = 2000
) -> list[tuple[int, int, bytes | None, bytes | None]]:
    """Every record of ``topic`` from the beginning: (partition, offset, key, value), in order."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.kafka_python(enable_auto_commit=False))
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or set())]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[tuple[int, int, bytes | None, bytes | None]] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=timeout_ms)
            if not batch:
                break
            for tp, recs in batch.items():
                records.extend((r.partition, r.offset, r.key, r.value) for r in recs)
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return sorted(records, key=lambda r: (r[0], r[1]))
    finally:
        consumer.close()


def _fail(message: str) -> Exception:
    from services.clierror import CliError

    return CliError(message)


def _read(settings: Settings, name: str) -> list[tuple[int, int, bytes | None, bytes | None]]:
    from services.relay.topics import prefixed

    topic = prefixed(name, settings.topic_prefix)
    try:
        return read_topic(settings.kafka, topic)
    except Exception as exc:  # noqa: BLE001 - any client failure is reported in one line
        raise _fail(f"cannot read {topic} at {settings.kafka}: {exc}") from None


def _documents(settings: Settings, name: str) -> list[dict[str, Any]]:
    docs = []
    for _, _, _, value in _read(settings, name):
        try:
            doc = json.loads(value or b"")
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
            docs.append(doc)
    return docs


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.alerts import ALERT_TYPE
    from services.watchdog.tables import ALERTS

    shown = 0
    for doc in _documents(settings, ALERTS):
        data = doc["data"]
        if doc.get("type") != ALERT_TYPE and not args.digests:
            continue
        if args.dossier and data.get("dossier_code") != args.dossier:
            continue
        if args.agency and data.get("responsible_agency") != args.agency:
            continue
        if args.rule and data.get("rule") != args.rule:
            continue
        shown += 1
        if args.json:
            print(json.dumps(doc, ensure_ascii=False))
        elif doc.get("type") == ALERT_TYPE:
            print(
                f"{doc['time'][:16]}  {data['rule']:<17} L{data['level']}  {data['dossier_code']:<28}"
                f" {data['responsible_agency']:<16} {data['reason_vi']}"
            )
        else:
            print(f"{doc['time'][:16]}  digest: {data.get('count', 0)} near-due item(s)")
    if not shown and not args.json:
        print("no alerts")
    return 0


def cmd_notices(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.tables import NOTICES

    shown = 0
    for doc in _documents(settings, NOTICES):
        data = doc["data"]
        if args.dossier and data.get("dossier_code") != args.dossier:
            continue
        shown += 1
        if args.json:
            print(json.dumps(doc, ensure_ascii=False))
        else:
            if data.get("kind") == "suspension":
                what = f"suspended {data['suspended_at'][:16]} ({data.get('ground') or '-'})"
            else:
                what = f"due {data['due'][:16]} -> new {data['new_appointment_at'][:16]}"
            who = f"{data['dossier_code']:<28} {data['responsible_agency']:<16}"
            print(f"{doc['id']}  {who} {what}  {data['document']}")
    if not shown and not args.json:
        print("no notices")
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.clock import clock_from_settings
    from services.watchdog.report import LateEntry, monthly_report
    from services.watchdog.tables import LATE_LOG

    if not _MONTH.fullmatch(args.month):
        raise _fail(f"--month must be YYYY-MM, not {args.month!r}")
    latest: dict[bytes, bytes | None] = {}
    for _, _, key, value in _read(settings, LATE_LOG):
        if key is not None and key.startswith(f"{args.month}|".encode()):
            latest[key] = value
    entries = [LateEntry.model_validate_json(v) for v in latest.values() if v]
    report = monthly_report(args.month, entries, clock_from_settings(settings).now(), args.agency)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"Late dossiers {args.month}: {report['late_dossiers']} ({report['with_apology']} with an apology)")
    for agency, totals in report["by_agency"].items():
        counts = f"{totals['dossiers']:>4} dossier(s) {totals['handoffs']:>4} handoff(s)"
        print(f"  {agency:<18} {counts} {totals['late_hours']:>8} h")
    for entry in report["dossiers"]:
        causes = ", ".join(
            f"{c['agency']}{' (' + c['officer'] + ')' if c.get('officer') else ''} {c['step_id']} {c['handoff_id']}"
            f" +{c['late_hours']}h"
            for c in entry["causes"]
        )
        print(f"{entry['dossier_code']:<28} due {entry['due'][:16]} late {entry['late_hours']} h: {causes or '-'}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this flow's subcommands; each sets `func(settings, args) -> int`."""
    raw = HelpFormatter
    alerts = sub.add_parser("alerts", help="deadline alerts raised by the watchdog (<prefix>.alerts)")
    alerts_list = alerts.add_subparsers(dest="action", required=True).add_parser(
        "list",
        help="the alerts raised, read from Kafka",
        description="The alerts the watchdog raised (read from <prefix>.alerts), newest last; times +07:00.",
        epilog="examples:\n  lienthong alerts list --agency tax --rule overdue\n"
        "  lienthong alerts list --digests --json",
        formatter_class=raw,
    )
    alerts_list.add_argument("--dossier", help="only this dossier code")
    alerts_list.add_argument("--agency", type=agency_code, help="only alerts for this responsible agency")
    alerts_list.add_argument("--rule", help="only this rule (due_soon, overdue, unacknowledged, stalled, ...)")
    alerts_list.add_argument("--digests", action="store_true", help="also the daily digests")
    alerts_list.add_argument("--json", action="store_true", help="one JSON document per line")
    alerts_list.set_defaults(func=cmd_alerts)

    notices = sub.add_parser("notices", help="notices for citizens: apologies, suspensions (<prefix>.notices)")
    notices_list = notices.add_subparsers(dest="action", required=True).add_parser(
        "list",
        help="the notices drafted, read from Kafka",
        description="Apology and suspension notices drafted for citizens (read from <prefix>.notices); each is"
        " printable at GET /v1/notices/{id}.",
        epilog="example:\n  lienthong notices list --dossier 000.00.20.H41-261202-0042",
        formatter_class=raw,
    )
    notices_list.add_argument("--dossier", help="only this dossier code")
    notices_list.add_argument("--json", action="store_true", help="one JSON document per line")
    notices_list.set_defaults(func=cmd_notices)

    report = sub.add_parser("report", help="reports for the Office")
    late = report.add_subparsers(dest="kind", required=True).add_parser(
        "late",
        help="which handoffs made which dossiers late, per month",
        description="The late-dossier report of a month: each dossier that went late, by how many working hours,"
        " which agency and officer held it, and the reasons stated.",
        epilog="examples:\n  lienthong report late --month 2026-11\n"
        "  lienthong report late --month 2026-11 --agency land-registry --json",
        formatter_class=raw,
    )
    late.add_argument("--month", required=True, help="YYYY-MM: the month the dossiers went late")
    late.add_argument("--agency", type=agency_code, help="only the dossiers this agency delayed")
    late.add_argument("--json", action="store_true", help="the report as JSON")
    late.set_defaults(func=cmd_report)
