"""`lienthong` subcommands of the monitor (registered by services.cli).

    lienthong lag [--agency A] [--procedure P] [--json]         the agency-pair table (business lag)
    lienthong lag --technical [--window 30s --samples 6]      consumer-group lag per partition, Burrow's status
    lienthong user add NAME --agency office [--password-stdin]
    lienthong user passwd NAME [--password-stdin]   lienthong user disable|enable|remove NAME   lienthong user list

``lag`` reads Kafka directly (the watchdog's compacted state changelog, the admin API), so it works with any
number of workers and without one running. A password comes from ``--password-stdin`` (the first line of
standard input), else ``LIENTHONG_USER_PASSWORD``, else a prompt (typed twice); it is never echoed or logged.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from services.clierror import agency_code, procedure_code
from services.cliformat import Column, Table, when
from services.settings import Settings

__all__ = ["register"]


class MonitorCliError(Exception):
    """A failure reported in one line, as services.cli does (its own class differs under ``python -m``)."""


def _fail(message: str) -> Exception:
    return MonitorCliError(message)


def _reported(command: Callable[[Settings, argparse.Namespace], int]) -> Callable[[Settings, argparse.Namespace], int]:
    @functools.wraps(command)
    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return command(settings, args)
        except MonitorCliError as exc:
            print(f"lienthong: error: {exc}", file=sys.stderr)
            return 2

    return run


def _states(settings: Settings) -> list[Any]:
    from services.relay.topics import prefixed
    from services.watchdog.cli import read_topic
    from services.watchdog.state import WatchState
    from services.watchdog.tables import STATE_LOG

    topic = prefixed(STATE_LOG, settings.topic_prefix)
    try:
        records = read_topic(settings.kafka, topic)
    except Exception as exc:  # noqa: BLE001 - any client failure is reported in one line
        raise _fail(f"cannot read {topic} at {settings.kafka}: {exc}") from None
    latest: dict[bytes, bytes | None] = {}
    for _, _, key, value in records:
        if key is not None:
            latest[key] = value
    return [WatchState.model_validate_json(v) for v in latest.values() if v]


def cmd_lag(settings: Settings, args: argparse.Namespace) -> int:
    if args.technical:
        return _technical(settings, args)
    from schemas.workcalendar import default_calendar
    from schemas.workflows import load_workflows
    from services.monitor.facts import sees_all
    from services.monitor.snapshot import Scoped, build_snapshot
    from services.relay.routing import RoutingContext
    from services.watchdog import load_rules
    from services.watchdog.clock import clock_from_settings

    ctx = RoutingContext(workflows=load_workflows(), calendar=default_calendar())
    now = clock_from_settings(settings).now()
    snap = build_snapshot(_states(settings), ctx, load_rules(settings.watchdog_rules_file), now, lambda code: [])
    scope = None if args.agency is None or sees_all(args.agency) else args.agency
    view = Scoped(snap, scope)
    cycles = [c for c in view.cycles if args.procedure is None or c.procedure_code == args.procedure]
    marks = [m for m in view.marks if args.procedure is None or m.procedure_code == args.procedure]
    from services.monitor.business import by_pair
    from services.monitor.web import jsonable

    pairs = by_pair(cycles, marks)
    if args.json:
        print(json.dumps(jsonable({"as_of": now, "pairs": pairs}), ensure_ascii=False, indent=2))
        return 0
    print(f"Độ trễ liên thông theo cặp cơ quan / Agency-pair liaison lag — {when(now)}")
    if not pairs:
        print("(không có phiếu chuyển / no handoffs)")
        return 0
    pairs_table(pairs).print()
    return 0


def pairs_table(pairs: Sequence[Any]) -> Table:
    """The agency-pair matrix of the dashboard as rows: open, overdue, finished, turnaround, verdicts."""
    table = Table(
        [
            Column("Chuyển → nhận", "From → to"),
            Column("Mở", "Open", right=True),
            Column("Quá hạn", "Overdue", right=True),
            Column("Xong", "Done", right=True),
            Column("Trung vị (giờ)", "Median (h)", right=True),
            Column("p90 (giờ)", "p90 (h)", right=True),
            Column("Sớm/đúng/trễ", "Early/on time/late", right=True),
            Column("Bổ sung", "Supplements", right=True),
            Column("Trả lại", "Returned", right=True),
        ]
    )
    for p in pairs:
        f = p.figures
        median = "-" if f.median_h is None else f"{f.median_h:.1f}"
        p90 = "-" if f.p90_h is None else f"{f.p90_h:.1f}"
        cells = (f"{p.from_agency} → {p.to_agency}", f.open, f.overdue, f.finished, median, p90)
        table.add(*cells, f"{f.early}/{f.on_time}/{f.late}", f.supplements, f.bounces)
    return table


def duration(value: str) -> float:
    """An ``argparse`` type: seconds, as ``30``, ``30s``, ``2m`` or ``1h``."""
    text = value.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(text[-1:], None)
    try:
        seconds = float(text[:-1] if scale else text) * (scale or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a duration like 30s, 2m or 1h, not {value!r}") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"a duration above zero, not {value!r}")
    return seconds


def _technical(settings: Settings, args: argparse.Namespace) -> int:
    from services.monitor.kafka_lag import KafkaProbe, group_topics
    from services.monitor.lagwindow import jsonable_window, sample_window, technical_table, window_summary

    if args.samples < 2:
        raise _fail("--samples must be 2 or more: one sample cannot tell a consumer that stopped from one that moves")
    reads = group_topics(settings)
    groups = args.group or list(dict.fromkeys([*reads, *settings.monitor_group_list]))
    probe = KafkaProbe(settings.kafka, client_id="lienthong-cli")
    try:
        window = sample_window(probe, groups, reads, args.samples, args.window, progress=_sample_progress())
    finally:
        probe.close()
    if window.error is not None:
        group, error = window.error
        raise _fail(f"cannot read the offsets of {group} at {settings.bootstrap_servers}: {error}")
    if args.json:
        print(json.dumps(jsonable_window(window), ensure_ascii=False, indent=2))
        return 0
    technical_table(window).print()
    for line in window_summary(window):
        print(line)
    return 0


def _sample_progress() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        print(f"  … mẫu / sample {done}/{total}", file=sys.stderr, flush=True)

    return show


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get("LIENTHONG_USER_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise _fail("no password: use --password-stdin or LIENTHONG_USER_PASSWORD when not on a terminal")
    first = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / again: ") != first:
        raise _fail("the two passwords differ")
    return first


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    from services.monitor.users import UserError, UserStore

    store = UserStore(settings.monitor_users_path)
    try:
        if args.action == "list":
            users = store.all()
            if not users:
                print(f"chưa có người dùng / no users in {store.path}")
                return 0
            table = Table(
                [
                    Column("Tên", "Name", nowrap=True),
                    Column("Cơ quan", "Agency", nowrap=True),
                    Column("Tạo lúc", "Created", nowrap=True),
                    Column("Trạng thái", "State"),
                ]
            )
            for u in users:
                state = f"khóa / disabled {when(u.disabled)}" if u.disabled else "hiệu lực / active"
                table.add(u.name, u.agency, when(u.created), state)
            table.print()
        elif not args.name:
            raise _fail(f"user {args.action} needs a user name")
        elif args.action == "add":
            if not args.agency:
                raise _fail("user add needs --agency (e.g. office, tax, land-registry)")
            user = store.add(args.name, args.agency, _password(args))
            print(f"added {user.name} ({user.agency}) to {store.path}")
        elif args.action == "passwd":
            store.set_password(args.name, _password(args))
            print(f"password of {args.name} changed; its open sessions end")
        elif args.action == "disable":
            store.disable(args.name)
            print(f"disabled {args.name}; its open sessions end")
        elif args.action == "enable":
            store.enable(args.name)
            print(f"enabled {args.name}")
        else:
            store.remove(args.name)
            print(f"removed {args.name}")
    except UserError as exc:
        raise _fail(str(exc)) from None
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this flow's subcommands; each sets `func(settings, args) -> int`."""
    lag = sub.add_parser("lag", help="liaison lag per agency pair (or, with --technical, consumer-group lag)")
    lag.add_argument("--agency", type=agency_code, help="only the handoffs this agency sent or received")
    lag.add_argument("--procedure", type=procedure_code, help="only this procedure code")
    lag.add_argument("--json", action="store_true", help="the table as JSON")
    lag.add_argument("--technical", action="store_true", help="consumer-group lag per topic and partition")
    lag.add_argument("--group", action="append", help="consumer group (repeatable; default: the worker's)")
    lag.add_argument(
        "--window", type=duration, default=30.0, help="with --technical: how long to sample, e.g. 30s, 2m (default 30s)"
    )
    lag.add_argument("--samples", type=int, default=6, help="with --technical: samples over the window (default 6)")
    lag.set_defaults(func=_reported(cmd_lag))

    user = sub.add_parser("user", help="dashboard users (Office staff see everything, an agency its own handoffs)")
    user.add_argument("action", choices=["add", "passwd", "disable", "enable", "remove", "list"])
    user.add_argument("name", nargs="?", default="", help="user name (a-z, 0-9, '.', '_', '-')")
    user.add_argument("--agency", type=agency_code, help="the user's agency code (add)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.set_defaults(func=_reported(cmd_user))
