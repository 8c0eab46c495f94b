"""A real Apache Kafka (KRaft) cluster on this machine, from Maven Central jars, for development and tests.

Usage::

    cluster = LocalCluster(base_dir=Path(".local/kafka"), nodes=1)
    cluster.up()          # resolves jars once, formats storage, starts, waits for a metadata answer
    cluster.status()      # broker ids and listeners
    cluster.down()        # stops only the processes whose pids we recorded

Each node runs in combined mode (broker + controller) with a static controller quorum, so ``nodes=3``
gives one three-broker cluster on distinct ports. State lives under ``base_dir``:
``cluster.json`` (cluster id, node count, ports) and ``node-<id>/`` (config, data, log, pid).

``secure=True`` gives the brokers one SASL_SSL listener instead of PLAINTEXT (TLS with a CA made here by
openssl, SCRAM-SHA-512 logins; the user ``admin`` is written into the storage when it is formatted), also
between brokers; only the controller quorum stays PLAINTEXT on loopback. ``cluster.access`` is how a client
gets in: ``tls/ca.pem`` to trust, the password in ``admin.password`` (mode 0600).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from base64 import urlsafe_b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.kafka_access import KafkaAccess
from services.ops.kafka_tls import TlsError, TlsFiles, ensure_tls
from services.settings import REPO_ROOT

__all__ = ["BrokerInfo", "KafkaLocalError", "LocalCluster", "check_tools"]

POM = REPO_ROOT / "deploy" / "local" / "pom.xml"
LOG4J = REPO_ROOT / "deploy" / "local" / "log4j2.yaml"
LIBS_DIR = REPO_ROOT / ".local" / "kafka-libs"
MIN_JAVA = 17
SCRAM = "SCRAM-SHA-512"
ADMIN = "admin"


class KafkaLocalError(RuntimeError):
    """Something the operator must fix; the message is one line (plus log lines where useful)."""


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java") or ""


def check_tools(need_maven: bool = True) -> None:
    """Fail in one line when Java 17+ (or Maven, to resolve the jars) is missing."""
    java = _java()
    missing = []
    if not java:
        missing.append(f"Java {MIN_JAVA}+ (apt-get install -y openjdk-17-jdk-headless)")
    elif _java_major(java) < MIN_JAVA:
        missing.append(f"Java {MIN_JAVA}+ (found Java {_java_major(java)} at {java})")
    if need_maven and not shutil.which("mvn"):
        missing.append("Maven (apt-get install -y maven)")
    if missing:
        raise KafkaLocalError("missing: " + "; ".join(missing) + " — or run `bash deploy/run`, which installs them")


def resolve_jars(libs_dir: Path = LIBS_DIR) -> Path:
    """Copy the broker's jars from Maven Central into ``libs_dir`` once; later calls reuse them."""
    stamp = libs_dir / ".resolved"
    if stamp.exists() and stamp.read_text() == POM.read_text():
        return libs_dir
    check_tools(need_maven=True)
    print(f"resolving Kafka jars from Maven Central into {libs_dir} (once) ...", flush=True)
    shutil.rmtree(libs_dir, ignore_errors=True)
    cmd = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={libs_dir}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise KafkaLocalError(f"mvn could not resolve the Kafka jars (exit {done.returncode}):\n{tail}")
    stamp.write_text(POM.read_text())
    return libs_dir


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in {"Z", "X"}:  # a zombie or dead process is not a running broker
        return None
    return int(fields[19])


def _alive(pid: int, started: int | None) -> bool:
    """True while ``pid`` is still the very process we started (not a recycled pid).

    The pid file records the process's start time next to its pid: after a crash or a reboot the same pid may
    belong to any other program, and `down` must never signal it. A pid file without a start time (written by
    an older lienthong) is trusted only while the process is a Kafka broker."""
    now = _start_time(pid)
    if now is None:
        return False
    if started is not None:
        return now == started
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False


class LocalCluster:
    """N Kafka nodes on 127.0.0.1: client ports ``base_port + i``, controller ports ``base_port + 100 + i``."""

    def __init__(
        self, base_dir: Path, nodes: int = 1, base_port: int = 19092, heap: str = "1g", secure: bool = False
    ) -> None:
        if not 1 <= nodes <= 9:
            raise KafkaLocalError(f"--nodes must be between 1 and 9, got {nodes}")
        self.base_dir = base_dir
        self.nodes = nodes
        self.base_port = base_port
        self.heap = heap
        self.secure = secure

    # -- layout -------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.base_dir / "cluster.json"

    def node_dir(self, node_id: int) -> Path:
        return self.base_dir / f"node-{node_id}"

    def client_port(self, node_id: int) -> int:
        return self.base_port + node_id - 1

    def controller_port(self, node_id: int) -> int:
        return self.base_port + 100 + node_id - 1

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.client_port(n)}" for n in range(1, self.nodes + 1))

    @property
    def listener(self) -> str:
        return "SASL_SSL" if self.secure else "PLAINTEXT"

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.base_dir / "tls")

    @property
    def password_file(self) -> Path:
        return self.base_dir / "admin.password"

    @property
    def access(self) -> KafkaAccess:
        """How a client reaches this cluster (on a secure one: as ``admin``, trusting its CA)."""
        if not self.secure:
            return KafkaAccess.plain(self.bootstrap)
        if not self.password_file.exists():
            raise KafkaLocalError(f"{self.password_file} is missing: `lienthong kafka reset --secure` to start anew")
        from pydantic import SecretStr

        return KafkaAccess(
            servers=tuple(self.bootstrap.split(",")),
            security_protocol="SASL_SSL",
            ssl_cafile=str(self.tls.ca.resolve()),
            sasl_mechanism=SCRAM,
            sasl_username=ADMIN,
            sasl_password=SecretStr(self.password_file.read_text().strip()),
        )

    def _load_state(self) -> dict[str, object] | None:
        if not self.state_file.exists():
            return None
        state: dict[str, object] = json.loads(self.state_file.read_text())
        return state

    def _pids(self) -> dict[int, tuple[int, int | None]]:
        """Node id -> (pid, start time) as recorded by `_start`."""
        pids: dict[int, tuple[int, int | None]] = {}
        for pid_file in sorted(self.base_dir.glob("node-*/kafka.pid")):
            node_id = int(pid_file.parent.name.split("-")[1])
            parts = pid_file.read_text().split()
            try:
                pids[node_id] = (int(parts[0]), int(parts[1]) if len(parts) > 1 else None)
            except (IndexError, ValueError):
                continue
        return pids

    def running(self) -> dict[int, int]:
        """Node id -> pid of the brokers we started that are still alive."""
        return {node: pid for node, (pid, started) in self._pids().items() if _alive(pid, started)}

    # -- commands -----------------------------------------------------------------------------------
    def up(self, timeout_s: float = 90.0) -> list[BrokerInfo]:
        state = self._load_state()
        if state and int(str(state["nodes"])) != self.nodes:
            if self.running():
                raise KafkaLocalError(
                    f"a {state['nodes']}-node cluster is running in {self.base_dir}; run `lienthong kafka down` first"
                )
            raise KafkaLocalError(
                f"{self.base_dir} holds a {state['nodes']}-node cluster; `lienthong kafka reset` to start anew"
            )
        if state and bool(state.get("secure", False)) != self.secure:
            kind = "secured (--secure)" if state.get("secure") else "plain"
            raise KafkaLocalError(f"{self.base_dir} holds a {kind} cluster; use another --dir or `kafka reset` it")
        if state and int(str(state["base_port"])) != self.base_port:
            self.base_port = int(str(state["base_port"]))
        check_tools(need_maven=not (LIBS_DIR / ".resolved").exists())
        libs = resolve_jars()
        if state is None:
            cluster_id = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            state = {"cluster_id": cluster_id, "nodes": self.nodes, "base_port": self.base_port, "secure": self.secure}
            self.base_dir.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps(state, indent=2))
        if self.secure:
            self._secure_files()
        running = self.running()
        for node_id in range(1, self.nodes + 1):
            if node_id in running:
                continue
            self._write_config(node_id)
            if not (self.node_dir(node_id) / "data" / "meta.properties").exists():
                self._format(libs, node_id, str(state["cluster_id"]))
            self._start(libs, node_id)
        return self.wait_ready(timeout_s)

    def _secure_files(self) -> None:
        """The CA and broker certificate, and the admin's password (made once, before the storage is formatted
        with its SCRAM credentials)."""
        try:
            ensure_tls(self.tls.directory)
        except TlsError as exc:
            raise KafkaLocalError(str(exc)) from None
        if not self.password_file.exists():
            if any(self.base_dir.glob("node-*/data/meta.properties")):
                raise KafkaLocalError(f"{self.password_file} is missing: `kafka reset --secure` to start anew")
            self.password_file.touch(mode=0o600)
            self.password_file.write_text(secrets.token_hex(24) + "\n")

    def _security_props(self) -> dict[str, object]:
        if not self.secure:
            return {}
        password = self.access.sasl_password
        assert password is not None
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{ADMIN}" password="{password.get_secret_value()}";'
        )
        return {
            "sasl.enabled.mechanisms": SCRAM,
            "sasl.mechanism.inter.broker.protocol": SCRAM,
            f"listener.name.sasl_ssl.{SCRAM.lower()}.sasl.jaas.config": jaas,
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": self.tls.keystore.resolve(),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": self.tls.ca.resolve(),
            "ssl.client.auth": "none",
        }

    def _write_config(self, node_id: int) -> None:
        voters = ",".join(f"{n}@127.0.0.1:{self.controller_port(n)}" for n in range(1, self.nodes + 1))
        rf = min(3, self.nodes)
        client = self.listener
        props = {
            "process.roles": "broker,controller",
            "node.id": node_id,
            "controller.quorum.voters": voters,
            "listeners": f"{client}://127.0.0.1:{self.client_port(node_id)},"
            f"CONTROLLER://127.0.0.1:{self.controller_port(node_id)}",
            "advertised.listeners": f"{client}://127.0.0.1:{self.client_port(node_id)}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": client,
            "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,{client}:{client}",
            **self._security_props(),
            "log.dirs": self.node_dir(node_id) / "data",
            "num.partitions": 3,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": min(2, rf),
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": min(2, rf),
            "group.initial.rebalance.delay.ms": 0,
            "auto.create.topics.enable": "true",
            "log.retention.check.interval.ms": 60000,
        }
        self.node_dir(node_id).mkdir(parents=True, exist_ok=True)
        text = "".join(f"{k}={v}\n" for k, v in props.items())
        config = self.node_dir(node_id) / "server.properties"
        config.touch(mode=0o600)  # on a secure cluster it holds the inter-broker password
        config.write_text(text)

    def _java_cmd(self, libs: Path, main: str, args: Sequence[str]) -> list[str]:
        return [
            _java(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]

    def _format(self, libs: Path, node_id: int, cluster_id: str) -> None:
        config = self.node_dir(node_id) / "server.properties"
        args = ["format", "-t", cluster_id, "-c", str(config)]
        if self.secure:  # the admin's SCRAM credentials go into the cluster's first metadata (KIP-900)
            password = self.access.sasl_password
            assert password is not None
            args += ["--add-scram", f"{SCRAM}=[name={ADMIN},password={password.get_secret_value()}]"]
        cmd = self._java_cmd(libs, "kafka.tools.StorageTool", args)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise KafkaLocalError(f"formatting node {node_id} failed:\n{tail}")

    def _start(self, libs: Path, node_id: int) -> None:
        node = self.node_dir(node_id)
        config = node / "server.properties"
        log = (node / "kafka.log").open("ab")
        proc = subprocess.Popen(
            self._java_cmd(libs, "kafka.Kafka", [str(config)]),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the CLI; `down` stops it by pid
        )
        (node / "kafka.pid").write_text(f"{proc.pid} {_start_time(proc.pid)}\n")

    def log_tail(self, lines: int = 20) -> str:
        chunks = []
        for log in sorted(self.base_dir.glob("node-*/kafka.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {log} ---\n" + "\n".join(text))
        return "\n".join(chunks)

    def wait_ready(self, timeout_s: float = 90.0) -> list[BrokerInfo]:
        """Wait until every node answers a metadata request and the cluster lists all brokers."""
        deadline = time.monotonic() + timeout_s
        last_error = "no answer"
        while time.monotonic() < deadline:
            if len(self.running()) < self.nodes:
                raise KafkaLocalError(f"a Kafka node exited during start-up:\n{self.log_tail()}")
            try:
                brokers = describe_brokers(self.access)
                if len(brokers) == self.nodes:
                    return brokers
                last_error = f"{len(brokers)} of {self.nodes} brokers registered"
            except Exception as exc:  # noqa: BLE001 - any failure here means "not ready yet"
                last_error = str(exc) or type(exc).__name__
            time.sleep(0.5)
        raise KafkaLocalError(
            f"Kafka did not answer a metadata request within {timeout_s:.0f}s ({last_error}):\n{self.log_tail()}"
        )

    def status(self) -> tuple[dict[int, int], list[BrokerInfo]]:
        running = self.running()
        brokers: list[BrokerInfo] = []
        if running:
            try:
                brokers = describe_brokers(self.access)
            except Exception:  # noqa: BLE001 - a status report shows what it can
                brokers = []
        return running, brokers

    def down(self, timeout_s: float = 30.0) -> list[int]:
        """Stop the brokers we started (by recorded pid); returns the pids stopped."""
        stopped: list[tuple[int, int | None]] = []
        for node_id, (pid, started) in self._pids().items():
            if _alive(pid, started):
                os.kill(pid, signal.SIGTERM)
                stopped.append((pid, started))
            (self.node_dir(node_id) / "kafka.pid").unlink(missing_ok=True)
        deadline = time.monotonic() + timeout_s
        for pid, started in stopped:
            while _alive(pid, started) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid, started):
                os.kill(pid, signal.SIGKILL)
        for pid, _ in stopped:
            _reap(pid)
        return [pid for pid, _ in stopped]

    def kill(self, node_id: int) -> bool:
        """``kill -9`` one node, as a crash would (``up`` starts it again with its data); True if it ran."""
        pid, started = self._pids().get(node_id, (0, None))
        if not pid or not _alive(pid, started):
            return False
        os.kill(pid, signal.SIGKILL)
        while _alive(pid, started):
            time.sleep(0.05)
        _reap(pid)
        (self.node_dir(node_id) / "kafka.pid").unlink(missing_ok=True)
        return True

    def reset(self) -> None:
        """Stop the brokers and delete their data (never touches anything outside ``base_dir``)."""
        self.down()
        shutil.rmtree(self.base_dir, ignore_errors=True)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def describe_brokers(kafka: KafkaAccess, timeout_ms: int = 3000) -> list[BrokerInfo]:
    """Ask the cluster for its brokers through a real metadata request."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        **kafka.kafka_python(request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms, client_id="lienthong-ops")
    )
    try:
        meta = admin.describe_cluster()
    finally:
        admin.close()
    return sorted(
        (BrokerInfo(int(b["broker_id"]), str(b["host"]), int(b["port"])) for b in meta["brokers"]),
        key=lambda b: b.node_id,
    )
