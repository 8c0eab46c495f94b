from __future__ import annotations

from pathlib import Path

import pytest

from services.settings import SettingsError, load_settings


def test_defaults_point_at_the_local_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOOTSTRAP_SERVERS", "WEB_PORT", "DATA_DIR"):
        monkeypatch.delenv(f"LIENTHONG_{name}", raising=False)
    settings = load_settings()
    assert settings.bootstrap_servers == "127.0.0.1:19092"
    assert settings.web_port == 6066
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.data_dir.name == ".local"


def test_environment_with_prefix_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", "10.0.0.1:9092, 10.0.0.2:9092")
    monkeypatch.setenv("LIENTHONG_WEB_PORT", "8080")
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.servers == ["10.0.0.1:9092", "10.0.0.2:9092"]
    assert settings.web_port == 8080
    assert settings.data_dir == tmp_path


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("WEB_PORT", "abc", "bad setting LIENTHONG_WEB_PORT: Input should be a valid integer"),
        ("WEB_PORT", "70000", "bad setting LIENTHONG_WEB_PORT: Input should be less than or equal to 65535"),
        (
            "BOOTSTRAP_SERVERS",
            "localhost",
            "bad setting LIENTHONG_BOOTSTRAP_SERVERS: Value error, expected host:port",
        ),
        ("LOG_LEVEL", "warning", "bad setting LIENTHONG_LOG_LEVEL: Value error, expected one of crit"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(f"LIENTHONG_{name}", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_cli_reports_bad_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.cli import main

    monkeypatch.setenv("LIENTHONG_WEB_PORT", "abc")
    assert main(["topics", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lienthong: error: bad setting LIENTHONG_WEB_PORT")
    assert "\n" not in err


def test_flows_choose_what_a_worker_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_FLOWS", "relay")
    assert load_settings().flow_set == {"relay"}
    monkeypatch.setenv("LIENTHONG_FLOWS", "monitor")
    with pytest.raises(SettingsError, match="LIENTHONG_FLOWS: Value error, the monitor needs the watchdog"):
        load_settings()
    monkeypatch.setenv("LIENTHONG_FLOWS", "relay,dashboard")
    with pytest.raises(SettingsError, match="expected some of relay, watchdog, monitor"):
        load_settings()


def test_a_relay_only_worker_runs_no_watchdog() -> None:
    from services.app import create_app

    def flows(worker: object) -> list[str]:
        events = next(p for p in worker.processors if p.name == "events")  # type: ignore[attr-defined]
        return [type(flow).__name__ for flow in events.handler.flows]

    assert flows(create_app(load_settings(flows="relay"))) == ["Router"]
    assert flows(create_app(load_settings(flows="watchdog,monitor"))) == ["WatchdogFlow", "TimelineFlow"]
    assert flows(create_app(load_settings())) == ["Router", "WatchdogFlow", "TimelineFlow"]
