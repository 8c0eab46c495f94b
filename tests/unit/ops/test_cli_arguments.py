"""The CLI refuses codes it does not know (exit 2, with the known ones), and each subcommand has its own help."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["report", "late", "--month", "2026-11", "--agency", "land-registy"], "land-registry"),
        (["alerts", "list", "--agency", "Tax"], "tax"),
        (["lag", "--agency", "ward-nowhere"], "ward-loc-tho"),
        (["lag", "--procedure", "1.000000.000.00.00.H42"], "1.003550.000.00.00.H42"),
    ],
)
def test_an_unknown_code_is_refused_with_the_known_ones(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unknown" in err
    assert named in err  # the list of known codes, so the operator can correct the typo


def test_known_codes_pass() -> None:
    args = build_parser().parse_args(["report", "late", "--month", "2026-11", "--agency", "land-registry"])
    assert (args.agency, args.month) == ("land-registry", "2026-11")
    args = build_parser().parse_args(["lag", "--procedure", "1.003550.000.00.00.H42"])
    assert args.procedure == "1.003550.000.00.00.H42"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "late", "--help"], ["--month", "lienthong report late --month 2026-11", "officer"]),
        (["worker", "--help"], ["LIENTHONG_BOOTSTRAP_SERVERS", "SIGTERM", "lienthong worker"]),
        (["alerts", "list", "--help"], ["--rule", "lienthong alerts list --agency tax --rule overdue"]),
        (["notices", "list", "--help"], ["/v1/notices/{id}", "lienthong notices list --dossier"]),
    ],
)
def test_each_subcommand_has_its_own_help_with_examples(
    argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # wrapped to the terminal: compare the words
    for text in expected:
        assert " ".join(text.split()) in out


def test_the_secured_cluster_has_its_own_directory_and_ports(tmp_path: Path) -> None:
    from services.cli import _cluster
    from services.settings import load_settings

    settings = load_settings(data_dir=tmp_path, bootstrap_servers="127.0.0.1:19092")
    plain = _cluster(settings, build_parser().parse_args(["kafka", "up"]))
    secure = _cluster(settings, build_parser().parse_args(["kafka", "up", "--secure"]))
    assert (plain.base_dir, plain.bootstrap, plain.secure) == (tmp_path / "kafka", "127.0.0.1:19092", False)
    assert (secure.base_dir, secure.bootstrap, secure.secure) == (tmp_path / "kafka-secure", "127.0.0.1:19392", True)
    assert secure.listener == "SASL_SSL"
    assert secure.controller_port(1) not in {plain.client_port(n) for n in (1, 2, 3)}
