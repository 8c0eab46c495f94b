"""lienthong over a secured Kafka: the broker ``lienthong kafka up --secure`` starts (SASL_SSL, SCRAM-SHA-512, a CA
made by openssl), here on its own port and directory, beside the plain test broker.

It refuses a client without TLS, without the CA, or with a wrong password; and the project's own clients work
through it with nothing but the ``LIENTHONG_KAFKA_*`` settings: ``topics apply``, a worker (aiokafka) accepting a
signed event and delivering the handoff it opens, the kafka-python readback, lag and dead-letter paths, and the
clean-up of the stack's topics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from kafka.errors import KafkaError
from pydantic import SecretStr

from schemas.events import TZ
from services.kafka_access import KafkaAccess
from services.monitor.kafka_lag import KafkaProbe
from services.ops.kafka_local import LocalCluster, describe_brokers
from services.ops.readback import read_topic
from services.relay.deadletter import read_letters
from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from tests.support.system import System

in_module_loop = pytest.mark.asyncio(loop_scope="module")  # the async tests share the worker fixture's loop

# beside the plain test broker (19092-19094, controllers 19192-) and a developer's `kafka up --secure` (19392)
SECURE_PORT = 19396


def _lienthong(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A fresh secured single-broker cluster, started by the CLI as an operator would, stopped afterwards."""
    base = tmp_path_factory.mktemp("kafka-secure")
    cluster = LocalCluster(base, base_port=SECURE_PORT, secure=True)
    up = _lienthong("kafka", "up", "--secure", "--dir", str(base), "--base-port", str(SECURE_PORT))
    try:
        if up.returncode != 0:
            reason = (up.stderr.strip() or up.stdout.strip() or f"exit {up.returncode}").splitlines()[0].rstrip(":")
            pytest.fail(f"the secured Kafka broker did not start on 127.0.0.1:{SECURE_PORT}: {reason}", pytrace=False)
        password = cluster.password_file.read_text().strip()
        assert password not in up.stdout + up.stderr, "`kafka up --secure` must not print the password"
        assert f"SASL_SSL://127.0.0.1:{SECURE_PORT}" in up.stdout
        assert "LIENTHONG_KAFKA_SSL_CAFILE=" in up.stdout
        yield cluster
    finally:
        cluster.down()


# -- who is refused ---------------------------------------------------------------------------------------------
def impostor(good: KafkaAccess, what: str) -> KafkaAccess:
    return {
        "no TLS, no SASL": KafkaAccess.plain(good.bootstrap),
        "SASL without TLS": replace(good, security_protocol="SASL_PLAINTEXT"),
        "TLS without the CA": replace(good, ssl_cafile=None),
        "a wrong password": replace(good, sasl_password=SecretStr("not-the-password")),
        "an unknown user": replace(good, sasl_username="mallory"),
    }[what]


IMPOSTORS = ["no TLS, no SASL", "SASL without TLS", "TLS without the CA", "a wrong password", "an unknown user"]
# what aiokafka logs when it is turned away (the others are a closed connection)
REASONS = {
    "TLS without the CA": "CERTIFICATE_VERIFY_FAILED",
    "a wrong password": "invalid credentials",
    "an unknown user": "invalid credentials",
}


def test_the_admin_gets_in(secure: LocalCluster) -> None:
    assert [b.node_id for b in describe_brokers(secure.access)] == [1]


@pytest.mark.parametrize("what", IMPOSTORS)
def test_a_kafka_python_client_is_refused(secure: LocalCluster, what: str) -> None:
    with pytest.raises(KafkaError):
        describe_brokers(impostor(secure.access, what), timeout_ms=2000)


async def _send(access: KafkaAccess) -> None:
    producer = AIOKafkaProducer(**access.aiokafka(request_timeout_ms=3000))
    try:
        await producer.start()
        await producer.send_and_wait("secure-probe", b"x", key=b"k")
    finally:
        await producer.stop()


@in_module_loop
async def test_an_aiokafka_client_gets_in(secure: LocalCluster) -> None:
    await asyncio.wait_for(_send(secure.access), 30)


@in_module_loop
@pytest.mark.parametrize("what", IMPOSTORS)
async def test_an_aiokafka_client_is_refused_for_the_right_reason(
    secure: LocalCluster, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(_send(impostor(secure.access, what)), 30)
    if what in REASONS:
        assert REASONS[what] in caplog.text


def test_a_wrong_password_in_the_settings_is_one_line_and_non_zero(secure: LocalCluster) -> None:
    env = {**secure.access.env(), "LIENTHONG_KAFKA_SASL_PASSWORD": "not-the-password"}
    done = _lienthong("topics", "list", env=env)  # reads no broker: the settings themselves are fine
    assert done.returncode == 0, done.stderr
    done = _lienthong("topics", "apply", "--check", env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("lienthong: error: cannot reach Kafka")
    assert "SASL_SSL, SCRAM-SHA-512 as admin" in done.stderr
    assert "not-the-password" not in done.stderr


# -- the project's clients through it ---------------------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system(secure: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    """A worker and the simulated agencies; only the LIENTHONG_KAFKA_* settings say the broker is secured."""
    sys_ = System(secure.bootstrap, Path(tmp_path_factory.mktemp("secure-stack")), extra=secure.access.env())
    try:
        await sys_.start(act=False)  # runs `lienthong topics apply` first
        yield sys_
    finally:
        await sys_.stop()


@in_module_loop
async def test_a_signed_event_is_accepted_routed_and_delivered(system: System, secure: LocalCluster) -> None:
    code = dossier_code(1, datetime.now(TZ))
    received = dossier_received(code, LAND_TRANSFER, datetime.now(TZ))
    one_stop = system.agencies["one-stop"]
    assert (await one_stop.post_event(received)).status_code == 202
    handoff = handoff_requested(received, "land-check", "land-registry", workflow_version=2, handoff_id=f"{code}-lc")
    response = await one_stop.post_event(handoff)
    assert response.status_code == 202, response.text
    await system.wait_ledger(code, lambda b: f"{code}-lc" in b["handoffs"], what="the handoff in the ledger")
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="the delivery")
    assert [r.event_id for r in system.received("land-registry", subject=code)] == [handoff.id]

    # the kafka-python paths: reading a topic back, the dead letters, the consumer-group offsets and lag
    logged = {json.loads(r.value or b"{}").get("id") for r in read_topic(system.kafka, system.topic("events"))}
    assert {received.id, handoff.id} <= logged
    assert read_letters(system.kafka, system.topic("deadletter")) == []
    probe = KafkaProbe(system.kafka)
    try:
        probes = await asyncio.to_thread(probe.probe, [system.group], time.time())
    finally:
        probe.close()
    assert probes[0].error is None
    assert probes[0].committed, "the worker's group committed over SASL_SSL"
    lag = system.cli("lag", "--technical")
    assert lag.returncode == 0, lag.stderr
    assert system.topic("events") in lag.stdout
    dlq = system.cli("dlq", "list")
    assert dlq.returncode == 0, dlq.stderr

    password = secure.password_file.read_text().strip()
    logs = "".join(p.read_text(errors="replace") for p in system.workdir.glob("worker*.log"))
    assert password not in logs, "the Kafka password is in the worker's log"
