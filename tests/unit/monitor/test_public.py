"""The citizens' check code, the allowance per address behind proxies, and the key files every worker shares."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from services.monitor.public import ALPHABET, RateLimit, check_code, check_matches, client_address, trusted_networks
from services.monitor.sessions import key_file

KEY = bytes(range(32))


def test_the_check_code_is_eight_unambiguous_characters_and_tolerates_how_it_is_typed() -> None:
    code = check_code(KEY, "000.00.20.H41-261116-0006")
    assert len(code) == 9
    assert code[4] == "-"
    assert set(code.replace("-", "")) <= set(ALPHABET)
    assert not set("01OILU") & set(code)
    assert check_matches(KEY, "000.00.20.H41-261116-0006", code.lower().replace("-", " "))
    assert not check_matches(KEY, "000.00.20.H41-261116-0007", code)
    assert not check_matches(bytes(32), "000.00.20.H41-261116-0006", code)  # another key, another code
    assert not check_matches(KEY, "000.00.20.H41-261116-0006", "")


def test_the_allowance_counts_per_address_and_says_when_to_come_back() -> None:
    limit = RateLimit(3, window_s=60)
    assert [limit.take("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limit.take("a", now=3) == pytest.approx(57)
    assert limit.take("b", now=3) == 0
    assert limit.take("a", now=60.5) == 0  # the first lookup left the window


def test_memory_for_addresses_is_bounded() -> None:
    limit = RateLimit(1, window_s=60, max_addresses=100)
    for n in range(1000):
        limit.take(f"10.0.{n // 256}.{n % 256}", now=0)
    assert len(limit._seen) <= 100


def test_behind_a_trusted_proxy_the_citizen_is_the_last_untrusted_forwarded_address() -> None:
    proxies = trusted_networks("10.0.0.0/8, 127.0.0.1")
    assert client_address("203.0.113.9", None, proxies) == "203.0.113.9"
    assert client_address("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_address("10.1.2.3", "198.51.100.7", proxies) == "198.51.100.7"
    # a forged first hop does not help: the proxy appended the real address last
    assert client_address("10.1.2.3", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"
    assert client_address("127.0.0.1", "198.51.100.7, 10.9.9.9", proxies) == "198.51.100.7"
    assert client_address("10.1.2.3", "not-an-address", proxies) == "10.1.2.3"
    assert client_address("2001:db8:1:2:aaaa::1", None, ()) == "2001:db8:1:2::/64"  # one subscriber's /64
    assert client_address("2001:db8:1:2:bbbb::9", None, ()) == "2001:db8:1:2::/64"


def _make(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(key_file(Path(path)).hex())


def test_workers_starting_together_read_one_whole_key(tmp_path: Path) -> None:
    path = tmp_path / "public-check.key"
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    procs = [multiprocessing.Process(target=_make, args=(str(path), queue)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(10)
    keys = {queue.get(timeout=5) for _ in procs}
    assert len(keys) == 1
    assert len(bytes.fromhex(keys.pop())) == 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["public-check.key"]  # nothing left aside


def test_a_damaged_key_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "monitor-session.key"
    path.write_text("abcd", encoding="ascii")
    with pytest.raises(ValueError, match="monitor-session.key"):
        key_file(path)
