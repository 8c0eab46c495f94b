"""The ``lienthong`` command line.

Usage::

    lienthong kafka up [--nodes 3]      lienthong kafka status | down | reset
    lienthong kafka up --secure         a SASL_SSL broker beside the plain one (prints how clients connect)
    lienthong topics apply [--check]    lienthong topics list
    lienthong topics k8s --replication-factor 3 --output deploy/k8s/base/kafka/topics.yaml
    lienthong worker

Every failure prints one line (``lienthong: error: ...``) and exits non-zero.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.clierror import CliError, HelpFormatter
from services.cliformat import Column, Table, both, reading, when
from services.settings import REPO_ROOT, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from services.ops.kafka_local import LocalCluster
    from services.relay.deadletter import Letter

__all__ = ["main"]


SECURE_BASE_PORT = 19392  # beside the plain broker's 19092-19094 (and its controllers' 19192-19194)


def _cluster(settings: Settings, args: argparse.Namespace) -> LocalCluster:
    from services.ops.kafka_local import LocalCluster

    if args.secure:
        base_dir = Path(args.dir) if args.dir else settings.data_dir / "kafka-secure"
        port = args.base_port or SECURE_BASE_PORT
    else:
        base_dir = Path(args.dir) if args.dir else settings.data_dir / "kafka"
        port = args.base_port or int(settings.servers[0].rsplit(":", 1)[1])
    return LocalCluster(base_dir=base_dir, nodes=args.nodes, base_port=port, secure=args.secure)


def _print_connect(cluster: LocalCluster) -> None:
    """The settings a client needs for the secured cluster; the password by reference, never printed."""
    access = cluster.access
    print("connect with (bash):")
    for name, value in access.env().items():
        if name == "LIENTHONG_KAFKA_SASL_PASSWORD":
            print(f'  export {name}="$(cat {cluster.password_file.resolve()})"')
        else:
            print(f"  export {name}={value}")


def cmd_kafka(settings: Settings, args: argparse.Namespace) -> int:
    from services.ops.kafka_local import KafkaLocalError

    cluster = _cluster(settings, args)
    try:
        if args.action == "up":
            was_running = cluster.running()
            brokers = cluster.up(timeout_s=args.timeout)
            verb = "already running" if len(was_running) == cluster.nodes else "started"
            print(f"Kafka {verb}: {len(brokers)} broker(s), bootstrap {cluster.bootstrap}")
            for b in brokers:
                print(f"  broker {b.node_id}  {cluster.listener}://{b.host}:{b.port}")
            if cluster.secure:
                _print_connect(cluster)
        elif args.action == "status":
            running, brokers = cluster.status()
            if not running:
                print(f"Kafka is not running (state in {cluster.base_dir})")
                return 1
            print(f"Kafka running: {len(running)} process(es), pids {', '.join(map(str, running.values()))}")
            if not brokers:
                print("  no metadata answer yet")
                return 1
            for b in brokers:
                print(f"  broker {b.node_id}  {cluster.listener}://{b.host}:{b.port}")
        elif args.action == "down":
            pids = cluster.down()
            print(f"stopped {len(pids)} Kafka process(es)" if pids else "Kafka was not running")
        elif args.action == "reset":
            cluster.reset()
            print(f"Kafka stopped and its data removed ({cluster.base_dir})")
            # The worker's RocksDB tables are a cache of the changelogs just deleted: faust refuses to start
            # on a table whose offsets are ahead of its changelog, so they go too.
            tables = settings.data_dir / "worker"
            if not args.dir and not args.secure and tables.exists():
                shutil.rmtree(tables)
                print(f"worker table state removed ({tables})")
    except KafkaLocalError as exc:
        raise CliError(str(exc)) from None
    return 0


def _agencies() -> list[str]:
    from schemas.agencies import default_agencies

    return list(default_agencies())


def cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    from services.ops.topics import CatalogError, apply_catalog, load_catalog

    try:
        catalog = load_catalog(settings.topic_catalog, _agencies(), settings.replication_factor, settings.topic_prefix)
    except CatalogError as exc:
        raise CliError(str(exc)) from None
    if args.action == "k8s":
        return _topics_k8s(settings, args)
    if args.action == "list":
        table = Table(
            [
                Column("Topic", nowrap=True),
                Column("Phân vùng", "Partitions", right=True),
                Column("Bản sao", "Replicas", right=True),
                Column("Dọn dẹp", "Cleanup", nowrap=True),
                Column("Mục đích", "Purpose"),
            ]
        )
        for t in catalog.topics:
            table.add(t.name, t.partitions, t.replication_factor, t.configs["cleanup.policy"], t.purpose)
        table.print()
        return 0
    admin = _admin(settings)
    try:
        report = apply_catalog(admin, catalog.topics, create=not args.check)
    finally:
        admin.close()
    for name in report.created:
        print(f"created   {name}")
    for line in report.drift:
        print(f"DRIFT     {line}")
    if not report.created and not report.drift:
        print(f"nothing to change: {len(report.unchanged)} topics match the catalog")
    elif report.unchanged:
        print(f"{len(report.unchanged)} topics already match the catalog")
    if report.drift:
        print("drift found: nothing was deleted or altered; fix the catalog or migrate the topic by hand")
        return 3
    return 0


def _topics_k8s(settings: Settings, args: argparse.Namespace) -> int:
    """The catalog as Strimzi KafkaTopic resources (and a ConfigMap holding it), to stdout or ``--output``."""
    from services.ops.k8s import render_topics

    replicas = args.replication_factor or settings.replication_factor
    if not 1 <= replicas <= 5:
        raise CliError(f"--replication-factor must be 1 to 5, got {replicas}")
    text = render_topics(
        settings.topic_catalog,
        _agencies(),
        cluster=args.cluster,
        replication_factor=replicas,
        prefix=settings.topic_prefix,
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def _admin(settings: Settings) -> Any:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        return KafkaAdminClient(
            **settings.kafka.kafka_python(
                client_id="lienthong-cli", request_timeout_ms=10000, bootstrap_timeout_ms=5000
            )
        )
    except KafkaError as exc:
        raise CliError(f"cannot reach Kafka at {settings.kafka}: {exc}") from None


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from services.app import create_app, run_worker

    run_worker(create_app(settings), settings)
    return 0


def cmd_agency(settings: Settings, args: argparse.Namespace) -> int:
    from schemas.agencies import default_agencies
    from services.relay.auth import CredentialStore

    store = CredentialStore(settings.credentials_path)
    if args.action == "provision":
        if args.target not in default_agencies():
            raise CliError(f"unknown agency {args.target!r}; see schemas/agencies.yaml")
        key_id, secret = store.provision(args.target)
        print(f"key id: {key_id}")
        print(f"secret: {secret}")
        print("give both to the agency over a secure channel; the secret is not shown again")
    elif args.action == "revoke":
        try:
            cred = store.revoke(args.target)
        except KeyError:
            raise CliError(f"no key {args.target!r}") from None
        print(f"revoked {cred.key_id} of {cred.agency}")
    else:
        creds = store.all()
        if not creds:
            print(f"chưa có khóa / no keys in {store.path}")
            return 0
        table = Table(
            [
                Column("Khóa", "Key id", nowrap=True),
                Column("Cơ quan", "Agency", nowrap=True),
                Column("Tạo lúc", "Created", nowrap=True),
                Column("Trạng thái", "State"),
            ]
        )
        for cred in creds:
            state = f"thu hồi / revoked {when(cred.revoked)}" if cred.revoked else "hiệu lực / active"
            table.add(cred.key_id, cred.agency, when(cred.created), state)
        table.print()
    return 0


def letters_table(letters: Sequence[Letter], marks: dict[tuple[str, int, int], str]) -> Table:
    """Dead letters (or quarantined events) with their state: waiting, or redriven when."""
    table = Table(
        [
            Column("Vị trí", "Ref", nowrap=True),
            Column("Lúc lỗi", "Failed at", nowrap=True),
            Column("Trạng thái", "State", nowrap=True),
            Column("Cơ quan", "Agency", nowrap=True),
            Column("Sự kiện", "Event", nowrap=True),
            Column("Lý do", "Reason"),
        ]
    )
    for letter in letters:
        r = letter.record
        again = marks.get((letter.topic, letter.partition, letter.offset))
        state = f"đã gửi lại / redriven\n{when(again)}" if again else "chờ / waiting"
        what = "\n".join(x for x in (r.event_type or "?", r.event_id) if x)
        table.add(letter.ref, when(r.failed_at), state, r.agency or "-", what, both(r.reason_vi, r.reason_en))
    return table


def cmd_dlq(settings: Settings, args: argparse.Namespace) -> int:
    from services.relay.deadletter import read_letters, redrive, redriven
    from services.relay.topics import DEADLETTER, QUARANTINE, RECEIPTS, prefixed

    topic = prefixed(QUARANTINE if args.quarantine else DEADLETTER, settings.topic_prefix)
    receipts = prefixed(RECEIPTS, settings.topic_prefix)
    try:
        with reading(topic) as advance:
            letters = read_letters(settings.kafka, topic, advance=advance)
        with reading(receipts) as advance:
            marks = redriven(settings.kafka, receipts, advance=advance)
    except Exception as exc:  # noqa: BLE001 - any client failure is reported in one line
        raise CliError(f"cannot read {topic} at {settings.kafka}: {exc}") from None
    if args.action == "list":
        if letters:
            letters_table(letters, marks).print()
        else:
            print(f"{topic}: trống / empty")
        return 0
    if args.action == "redrive" and args.all and not args.again:
        chosen = [x for x in letters if (x.topic, x.partition, x.offset) not in marks]
        if not chosen:
            print(f"nothing to redrive: every letter of {topic} was redriven already (--again to do it again)")
            return 0
    else:
        chosen = letters if args.all else [letter for letter in letters if letter.ref in args.refs]
    missing = set(args.refs) - {letter.ref for letter in chosen}
    if missing or not chosen:
        raise CliError(f"no record {', '.join(sorted(missing)) or '(give a partition:offset or --all)'} in {topic}")
    if args.action == "show":
        import json

        for letter in chosen:
            body = json.loads(letter.record.to_json())
            body.pop("payload_b64")
            try:
                body["payload"] = json.loads(letter.record.payload)
            except ValueError:
                body["payload"] = letter.record.payload.decode("utf-8", "replace")
            print(json.dumps({"ref": letter.ref, **body}, ensure_ascii=False, indent=2))
        return 0
    for letter in chosen:
        redrive(settings.kafka, letter, receipts)
        print(f"redriven {letter.ref} -> {letter.record.source_topic}")
    return 0


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from services.ops.audit import audit, repair

    def progress(line: str) -> None:
        print(f"  … {line}", file=sys.stderr, flush=True)

    try:
        report = audit(settings, grace_s=args.grace, progress=None if args.json else progress)
    except Exception as exc:  # noqa: BLE001 - any client failure is reported in one line
        raise CliError(f"cannot audit at {settings.kafka}: {type(exc).__name__}: {exc}") from None
    summary = report.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        table = Table(
            [Column("Mục", "Item"), Column("Số", "Count", right=True), Column("Chờ", "Pending", right=True)],
            title="Kiểm toán / Audit",
        )
        table.add("sự kiện / events", report.events, report.events_pending)
        table.add("sự kiện mất / events lost", len(report.events_lost), "")
        table.add("xử lý lặp / routed again", report.events_repeated, "")
        table.add("bản ghi gửi đi / outbound", report.outbound, report.outbound_pending)
        table.add("gửi đi mất / outbound lost", len(report.outbound_lost), "")
        table.add("gửi lặp / redelivered", report.redelivered, "")
        table.add("hồ sơ kiểm cảnh báo / dossiers checked for alerts", report.alerts_checked, "")
        table.add("cảnh báo đến hạn chưa phát / alerts due, not raised", len(report.alerts_missing), "")
        table.add("cảnh báo chưa gửi / alerts raised, not sent", len(report.alerts_unsent), "")
        table.print()
        for missing in [*report.events_lost, *report.outbound_lost][:20]:
            print(f"  ! {missing.ref} {missing.event_id or ''}")
        for alert in [*report.alerts_missing, *report.alerts_unsent][:20]:
            print(f"  ! alert {alert.dossier} {alert.key or alert.alert_id} (hạn / due {when(alert.due_at)})")
    if report.ok:
        if not args.json:
            print("lienthong: nothing lost / không mất gì")
        return 0
    if args.repair:
        written = repair(settings, report)
        print(f"lienthong: {written} record(s) written again (receivers drop repeats); run the audit again")
        return 0
    print("lienthong: records are missing; `lienthong audit --repair` writes them again", file=sys.stderr)
    return 1


def cmd_schemas(settings: Settings, args: argparse.Namespace) -> int:
    from schemas.jsonschema import generate

    written = generate(Path(args.out) if args.out else REPO_ROOT / "schemas" / "json")
    print(f"wrote {len(written)} files into {written[0].parent if written else args.out}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from simulators.demo import run_demo

    if not 1 <= args.workers <= 6:
        raise CliError(f"--workers must be between 1 and 6 (the event log has 6 partitions), got {args.workers}")
    try:
        return asyncio.run(
            run_demo(settings, args.dossiers, args.minutes, keep_running=not args.exit, workers=args.workers)
        )
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("lienthong: demo stopped; the worker and simulators stopped with it", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lienthong", description="Inter-agency liaison connector on Kafka")
    sub = parser.add_subparsers(dest="command", required=True)

    kafka = sub.add_parser("kafka", help="a local Kafka (KRaft) cluster from Maven Central jars")
    kafka.add_argument("action", choices=["up", "down", "status", "reset"])
    kafka.add_argument("--nodes", type=int, default=1, help="number of brokers (default 1)")
    kafka.add_argument("--dir", help="state directory (default $LIENTHONG_DATA_DIR/kafka)")
    kafka.add_argument("--base-port", type=int, help="client port of node 1 (default from bootstrap servers)")
    kafka.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the brokers")
    kafka.add_argument(
        "--secure",
        action="store_true",
        help="a SASL_SSL (SCRAM-SHA-512) cluster with its own CA, in $LIENTHONG_DATA_DIR/kafka-secure on port"
        f" {SECURE_BASE_PORT} unless --dir/--base-port say otherwise; `up` prints the settings clients need",
    )
    kafka.set_defaults(func=cmd_kafka)

    topics = sub.add_parser("topics", help="the topic catalog (deploy/topics.yaml)")
    topics.add_argument("action", choices=["apply", "list", "k8s"], help="k8s: Strimzi KafkaTopic resources")
    topics.add_argument("--check", action="store_true", help="report only; create nothing")
    topics.add_argument("--cluster", default="lienthong", help="k8s: the Strimzi Kafka cluster (default lienthong)")
    topics.add_argument(
        "--replication-factor", type=int, help="k8s: replicas of each topic (default LIENTHONG_REPLICATION_FACTOR)"
    )
    topics.add_argument("--output", help="k8s: write to this file instead of stdout")
    topics.set_defaults(func=cmd_topics)

    agency = sub.add_parser("agency", help="agency keys for the ingress API")
    agency.add_argument("action", choices=["provision", "revoke", "list"])
    agency.add_argument("target", nargs="?", default="", help="agency code (provision) or key id (revoke)")
    agency.set_defaults(func=cmd_agency)

    dlq = sub.add_parser("dlq", help="dead-lettered deliveries (or, with --quarantine, quarantined events)")
    dlq.add_argument("action", choices=["list", "show", "redrive"])
    dlq.add_argument("refs", nargs="*", help="partition:offset of the records (from `list`)")
    dlq.add_argument("--all", action="store_true", help="every record")
    dlq.add_argument("--quarantine", action="store_true", help="the quarantine topic instead")
    dlq.add_argument("--again", action="store_true", help="with --all: also the letters redriven before")
    dlq.set_defaults(func=cmd_dlq)

    audit = sub.add_parser("audit", help="prove from Kafka that nothing accepted was lost (exit 1 if something was)")
    audit.add_argument("--repair", action="store_true", help="write again what was missed (idempotent)")
    audit.add_argument("--json", action="store_true", help="the report as JSON")
    audit.add_argument("--grace", type=float, default=120.0, help="seconds an alert may take to be raised")
    audit.set_defaults(func=cmd_audit)

    schemas = sub.add_parser("schemas", help="JSON Schemas for agency integrators")
    schemas.add_argument("action", choices=["generate"])
    schemas.add_argument("--out", help="output directory (default schemas/json)")
    schemas.set_defaults(func=cmd_schemas)

    worker = sub.add_parser(
        "worker",
        help="run the stream worker (router, watchdog, web)",
        description="Run one worker: the ingress API, the router, delivery, the watchdog and the monitor (or the"
        " flows LIENTHONG_FLOWS names), joining the consumer group LIENTHONG_APP_ID on"
        " LIENTHONG_BOOTSTRAP_SERVERS. Several workers share the partitions; each keeps its state in"
        " LIENTHONG_DATA_DIR and serves HTTP on LIENTHONG_WEB_PORT (/healthz, /readyz, /v1/..., /monitor/)."
        " SIGTERM stops it after the batches in flight.",
        epilog="examples:\n  lienthong worker\n"
        "  LIENTHONG_WEB_PORT=6067 LIENTHONG_DATA_DIR=.local/w2 lienthong worker   # a second worker",
        formatter_class=HelpFormatter,
    )
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="the worker, simulated agencies and a day of dossiers (the main job)")
    demo.add_argument("--dossiers", type=int, default=60, help="how many dossiers (default 60)")
    demo.add_argument("--minutes", type=float, default=2.0, help="over how many minutes (default 2)")
    demo.add_argument("--exit", action="store_true", help="stop after the summary even on a terminal")
    demo.add_argument("--workers", type=int, default=1, help="workers sharing the load behind a balancer (default 1)")
    demo.set_defaults(func=cmd_demo)

    from services.monitor.cli import register as register_monitor
    from services.watchdog.cli import register as register_watchdog

    register_watchdog(sub)
    register_monitor(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    try:
        settings = load_settings()
        return func(settings, args)
    except (CliError, SettingsError) as exc:
        print(f"lienthong: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
