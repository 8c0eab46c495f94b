"""The ``lienthong`` command line.

Usage::

    lienthong kafka up [--nodes 3]      lienthong kafka status | down | reset
    lienthong topics apply [--check]    lienthong topics list
    lienthong worker

Every failure prints one line (``lienthong: error: ...``) and exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from services.ops.kafka_local import LocalCluster

__all__ = ["main"]


class CliError(Exception):
    """A failure to report in one line."""


def _cluster(settings: Settings, args: argparse.Namespace) -> LocalCluster:
    from services.ops.kafka_local import LocalCluster

    base_dir = Path(args.dir) if args.dir else settings.data_dir / "kafka"
    port = args.base_port or int(settings.servers[0].rsplit(":", 1)[1])
    return LocalCluster(base_dir=base_dir, nodes=args.nodes, base_port=port)


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
                print(f"  broker {b.node_id}  PLAINTEXT://{b.host}:{b.port}")
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
                print(f"  broker {b.node_id}  PLAINTEXT://{b.host}:{b.port}")
        elif args.action == "down":
            pids = cluster.down()
            print(f"stopped {len(pids)} Kafka process(es)" if pids else "Kafka was not running")
        elif args.action == "reset":
            cluster.reset()
            print(f"Kafka stopped and its data removed ({cluster.base_dir})")
    except KafkaLocalError as exc:
        raise CliError(str(exc)) from None
    return 0


def _agencies() -> list[str]:
    from schemas.agencies import default_agencies

    return list(default_agencies())


def cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    from services.ops.topics import CatalogError, apply_catalog, load_catalog

    try:
        catalog = load_catalog(settings.topic_catalog, _agencies(), settings.replication_factor)
    except CatalogError as exc:
        raise CliError(str(exc)) from None
    if args.action == "list":
        for t in catalog.topics:
            policy = t.configs["cleanup.policy"]
            print(f"{t.name:40} p={t.partitions:<3} rf={t.replication_factor} {policy:8} {t.purpose[:60]}")
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


def _admin(settings: Settings) -> Any:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.servers,
            client_id="lienthong-cli",
            request_timeout_ms=10000,
            bootstrap_timeout_ms=5000,
        )
    except KafkaError as exc:
        raise CliError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from None


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from services.app import create_app, run_worker

    run_worker(create_app(settings), settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lienthong", description="Inter-agency liaison connector on Kafka")
    sub = parser.add_subparsers(dest="command", required=True)

    kafka = sub.add_parser("kafka", help="a local Kafka (KRaft) cluster from Maven Central jars")
    kafka.add_argument("action", choices=["up", "down", "status", "reset"])
    kafka.add_argument("--nodes", type=int, default=1, help="number of brokers (default 1)")
    kafka.add_argument("--dir", help="state directory (default $LIENTHONG_DATA_DIR/kafka)")
    kafka.add_argument("--base-port", type=int, help="client port of node 1 (default from bootstrap servers)")
    kafka.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the brokers")
    kafka.set_defaults(func=cmd_kafka)

    topics = sub.add_parser("topics", help="the topic catalog (deploy/topics.yaml)")
    topics.add_argument("action", choices=["apply", "list"])
    topics.add_argument("--check", action="store_true", help="report only; create nothing")
    topics.set_defaults(func=cmd_topics)

    worker = sub.add_parser("worker", help="run the stream worker (router, watchdog, web)")
    worker.set_defaults(func=cmd_worker)
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
