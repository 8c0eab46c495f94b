"""The Kafka security settings and the keyword arguments both client libraries get from them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from services.kafka_access import KafkaAccess
from services.settings import SettingsError, load_settings, settings_for

PASSWORD = "s3cret-s3cret"
KAFKA_VARS = ("SECURITY_PROTOCOL", "SSL_CAFILE", "SSL_CERTFILE", "SSL_KEYFILE", "SASL_MECHANISM", "SASL_USERNAME")


@pytest.fixture(autouse=True)
def _no_kafka_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*KAFKA_VARS, "SASL_PASSWORD"):
        monkeypatch.delenv(f"LIENTHONG_KAFKA_{name}", raising=False)
    monkeypatch.delenv("LIENTHONG_BOOTSTRAP_SERVERS", raising=False)


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")  # only its existence is checked by the settings
    return path


def secured(ca: Path) -> KafkaAccess:
    return load_settings(
        bootstrap_servers="k1:9093,k2:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=ca,
        kafka_sasl_username="lienthong",
        kafka_sasl_password=PASSWORD,
    ).kafka


def test_a_plain_cluster_adds_nothing_to_the_clients_options() -> None:
    kafka = load_settings().kafka
    assert kafka == KafkaAccess.plain("127.0.0.1:19092")
    assert kafka.kafka_python(acks="all") == {"bootstrap_servers": ["127.0.0.1:19092"], "acks": "all"}
    assert kafka.aiokafka(client_id="x") == {"bootstrap_servers": ["127.0.0.1:19092"], "client_id": "x"}


def test_sasl_ssl_for_kafka_python(ca: Path) -> None:
    assert secured(ca).kafka_python(client_id="cli") == {
        "bootstrap_servers": ["k1:9093", "k2:9093"],
        "security_protocol": "SASL_SSL",
        "ssl_cafile": str(ca),
        "ssl_certfile": None,
        "ssl_keyfile": None,
        "ssl_check_hostname": True,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "lienthong",
        "sasl_plain_password": PASSWORD,
        "client_id": "cli",
    }


def test_ssl_for_aiokafka_is_a_verifying_context() -> None:
    options = load_settings(kafka_security_protocol="SSL").kafka.aiokafka()  # the system's CAs
    context = options.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert options == {"bootstrap_servers": ["127.0.0.1:19092"], "security_protocol": "SSL"}


def test_sasl_without_tls_for_aiokafka() -> None:
    settings = load_settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="u",
        kafka_sasl_password=PASSWORD,
    )
    assert settings.kafka.aiokafka() == {
        "bootstrap_servers": ["127.0.0.1:19092"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "u",
        "sasl_plain_password": PASSWORD,
    }


def test_the_password_is_never_shown(ca: Path) -> None:
    kafka = secured(ca)
    assert str(kafka) == "k1:9093,k2:9093 (SASL_SSL, SCRAM-SHA-512 as lienthong)"
    for text in (str(kafka), repr(kafka), repr(load_settings(**_fields(kafka.env())))):
        assert PASSWORD not in text


def _fields(env: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("LIENTHONG_").lower(): v for k, v in env.items()}


def test_a_child_process_with_its_env_connects_the_same_way(ca: Path) -> None:
    kafka = secured(ca)
    assert kafka.env()["LIENTHONG_KAFKA_SASL_PASSWORD"] == PASSWORD
    assert settings_for(kafka.env()).kafka == kafka
    plain = KafkaAccess.plain("h:1")
    assert plain.env() == {"LIENTHONG_BOOTSTRAP_SERVERS": "h:1", "LIENTHONG_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
    assert settings_for(plain.env()).kafka == plain


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kafka_security_protocol": "TLS"}, "bad setting LIENTHONG_KAFKA_SECURITY_PROTOCOL: Input should be"),
        ({"kafka_sasl_mechanism": "GSSAPI"}, "bad setting LIENTHONG_KAFKA_SASL_MECHANISM: Input should be"),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"},
            "bad setting LIENTHONG_KAFKA_SSL_CAFILE: Path does not point to a file",
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "u"},
            "needs LIENTHONG_KAFKA_SASL_USERNAME and _PASSWORD",
        ),
        ({"kafka_sasl_username": "u", "kafka_sasl_password": "p"}, "are set but the protocol is PLAINTEXT"),
        (
            {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": "PLAIN"}
            | {"kafka_sasl_username": "u", "kafka_sasl_password": "p"},
            "SASL PLAIN without TLS would send the Kafka password in clear",
        ),
    ],
)
def test_a_bad_combination_is_one_line(fields: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(**fields)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_a_ca_without_tls_is_refused(ca: Path) -> None:
    with pytest.raises(SettingsError, match="LIENTHONG_KAFKA_SSL_CAFILE is set but the protocol is PLAINTEXT"):
        load_settings(kafka_ssl_cafile=ca)


def test_a_client_certificate_needs_its_key(ca: Path) -> None:
    with pytest.raises(SettingsError, match="CERTFILE and LIENTHONG_KAFKA_SSL_KEYFILE go together"):
        load_settings(kafka_security_protocol="SSL", kafka_ssl_certfile=ca)
    options = load_settings(kafka_security_protocol="SSL", kafka_ssl_certfile=ca, kafka_ssl_keyfile=ca).kafka
    assert options.kafka_python()["ssl_certfile"] == options.kafka_python()["ssl_keyfile"] == str(ca)
