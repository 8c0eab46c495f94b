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
from collections.abc import Callable
from typing import Any

from services.clierror import HelpFormatter, agency_code, either_side
from services.cliformat import Column, Table, both, when
from services.kafka_access import KafkaAccess
from services.settings import Settings

__all__ = ["read_topic", "register"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def read_topic(
    kafka: KafkaAccess, topic: str, timeout_ms: int = 2000, advance: Callable[[int, int], None] | None = None
) -> list[tuple[int, int, bytes | None, bytes | None]]:
    """Every record of ``topic`` from the beginning: (partition, offset, key, value), in order; ``advance``
    gets (offsets read, offsets to read) after each poll (the CLI's progress)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.kafka_python(enable_auto_commit=False))
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or set())]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        total = sum(max(ends[tp] - starts[tp], 0) for tp in tps)
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
            if advance is not None:
                advance(sum(max(min(consumer.position(tp), ends[tp]) - starts[tp], 0) for tp in tps), total)
        return sorted(records, key=lambda r: (r[0], r[1]))
    finally:
        consumer.close()


def _fail(message: str) -> Exception:
    from services.clierror import CliError

    return CliError(message)


def _read(settings: Settings, name: str) -> list[tuple[int, int, bytes | None, bytes | None]]:
    from services.cliformat import reading
    from services.relay.topics import prefixed

    topic = prefixed(name, settings.topic_prefix)
    try:
        with reading(topic) as advance:
            return read_topic(settings.kafka, topic, advance=advance)
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


def alerts_table(docs: list[dict[str, Any]]) -> Table:
    """The alerts (and digests) as a table: one row per document, times in Vietnam's time."""
    from services.watchdog.alerts import ALERT_TYPE

    table = Table(
        [
            Column("Lúc phát", "Raised at", nowrap=True),
            Column("Quy tắc", "Rule", nowrap=True),
            Column("Mức", "Level", right=True),
            Column("Hồ sơ", "Dossier", nowrap=True),
            Column("Cơ quan", "Agency", nowrap=True),
            Column("Lý do", "Reason"),
        ]
    )
    for doc in docs:
        data = doc["data"]
        if doc.get("type") == ALERT_TYPE:
            reason = both(data.get("reason_vi"), data.get("reason_en"))
            cells = (data.get("rule"), data.get("level"), data.get("dossier_code"), data.get("responsible_agency"))
            table.add(when(doc.get("time")), *cells, reason)
        else:
            count = data.get("count", 0)
            digest = f"bản tin: {count} mục sắp đến hạn / digest: {count} near-due item(s)"
            table.add(when(doc.get("time")), "digest", "-", "-", "office", digest)
    return table


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.alerts import ALERT_TYPE
    from services.watchdog.tables import ALERTS

    shown = []
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
        shown.append(doc)
    if args.json:
        for doc in shown:
            print(json.dumps(doc, ensure_ascii=False))
    elif shown:
        alerts_table(shown).print()
    else:
        print("không có cảnh báo / no alerts")
    return 0


_KINDS = {"suspension": "tạm dừng / suspension", "apology": "xin lỗi / apology"}


def notices_table(docs: list[dict[str, Any]]) -> Table:
    """The notices drafted for citizens: which dossier, which agency, what they say, as a table."""
    table = Table(
        [
            Column("Hồ sơ", "Dossier", nowrap=True),
            Column("Cơ quan", "Agency", nowrap=True),
            Column("Loại", "Kind"),
            Column("Nội dung", "What"),
            Column("Bản in (GET)", "Printable (GET)", nowrap=True),  # the notice's id is in its path
        ]
    )
    for doc in docs:
        data = doc["data"]
        kind = data.get("kind") or "apology"  # notices stored before they had kinds are apologies
        if kind == "suspension":
            ground = data.get("ground") or "-"
            what = f"tạm dừng / suspended {when(data.get('suspended_at'))}\n({ground})"
        else:
            what = f"hạn / due {when(data.get('due'))}\nhẹn mới / new {when(data.get('new_appointment_at'))}"
        table.add(
            data.get("dossier_code"),
            data.get("responsible_agency"),
            _KINDS.get(kind, kind),
            what,
            data.get("document"),
        )
    return table


def cmd_notices(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.tables import NOTICES

    docs = _documents(settings, NOTICES)
    shown = [d for d in docs if not args.dossier or d["data"].get("dossier_code") == args.dossier]
    if args.json:
        for doc in shown:
            print(json.dumps(doc, ensure_ascii=False))
    elif shown:
        notices_table(shown).print()
    else:
        print("không có thông báo / no notices")
    return 0


def report_tables(report: dict[str, Any]) -> tuple[str, Table, Table]:
    """The late report as a summary line, a table by agency and a table by dossier."""
    month = report["month"]
    summary = (
        f"Hồ sơ trễ hạn tháng {month} / Late dossiers {month}: {report['late_dossiers']}"
        f" ({report['with_apology']} có thư xin lỗi / with an apology)"
    )
    agencies = Table(
        [
            Column("Cơ quan", "Agency", nowrap=True),
            Column("Hồ sơ", "Dossiers", right=True),
            Column("Phiếu chuyển", "Handoffs", right=True),
            Column("Giờ trễ", "Late hours", right=True),
        ]
    )
    for agency, totals in report["by_agency"].items():
        agencies.add(agency, totals["dossiers"], totals["handoffs"], totals["late_hours"])
    dossiers = Table(
        [
            Column("Hồ sơ", "Dossier", nowrap=True),
            Column("Hạn", "Due", nowrap=True),
            Column("Giờ trễ", "Late hours", right=True),
            Column("Nguyên nhân (cơ quan, cán bộ, bước, phiếu, giờ)", "Causes (agency, officer, step, handoff, hours)"),
        ]
    )
    for entry in report["dossiers"]:
        causes = "\n".join(
            f"{c['agency']}{' (' + c['officer'] + ')' if c.get('officer') else ''} {c['step_id']} {c['handoff_id']}"
            f" +{c['late_hours']}h"
            for c in entry["causes"]
        )
        dossiers.add(entry["dossier_code"], when(entry["due"]), entry["late_hours"], causes or "-")
    return summary, agencies, dossiers


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from services.watchdog.clock import clock_from_settings
    from services.watchdog.report import LateEntry, monthly_report
    from services.watchdog.tables import LATE_LOG

    month, agency, as_json = args.month, args.agency, args.json
    if month is None:
        raise _fail("report late needs --month YYYY-MM (e.g. lienthong report late --month 2026-11)")
    if not _MONTH.fullmatch(month):
        raise _fail(f"--month must be YYYY-MM, not {month!r}")
    latest: dict[bytes, bytes | None] = {}
    for _, _, key, value in _read(settings, LATE_LOG):
        if key is not None and key.startswith(f"{month}|".encode()):
            latest[key] = value
    entries = [LateEntry.model_validate_json(v) for v in latest.values() if v]
    report = monthly_report(month, entries, clock_from_settings(settings).now(), agency)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    summary, agencies, dossiers = report_tables(report)
    print(summary)
    if agencies.rows:
        agencies.print()
        dossiers.print()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this flow's subcommands; each sets `func(settings, args) -> int`. Their options may come before
    the sub-command too (``report --month 2026-11 late`` as ``report late --month 2026-11``)."""
    raw = HelpFormatter
    alerts = sub.add_parser("alerts", help="deadline alerts raised by the watchdog (<prefix>.alerts)")
    alerts_list = alerts.add_subparsers(dest="action", required=True).add_parser(
        "list",
        help="the alerts raised, read from Kafka",
        description="The alerts the watchdog raised (read from <prefix>.alerts), oldest first; times in"
        " Asia/Ho_Chi_Minh, marked +07.",
        epilog="examples:\n  lienthong alerts list --agency tax --rule overdue\n"
        "  lienthong alerts list --digests --json",
        formatter_class=raw,
    )
    for parser in either_side(alerts, alerts_list):
        parser.add_argument("--dossier", help="only this dossier code")
        parser.add_argument("--agency", type=agency_code, help="only alerts for this responsible agency")
        parser.add_argument("--rule", help="only this rule (due_soon, overdue, unacknowledged, stalled, ...)")
        parser.add_argument("--digests", action="store_true", help="also the daily digests")
        parser.add_argument("--json", action="store_true", help="one JSON document per line")
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
    for parser in either_side(notices, notices_list):
        parser.add_argument("--dossier", help="only this dossier code")
        parser.add_argument("--json", action="store_true", help="one JSON document per line")
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
    for parser in either_side(report, late):
        parser.add_argument("--month", help="YYYY-MM (required): the month the dossiers went late")
        parser.add_argument("--agency", type=agency_code, help="only the dossiers this agency delayed")
        parser.add_argument("--json", action="store_true", help="the report as JSON")
    late.set_defaults(func=cmd_report)
