"""Users (scrypt hashes in a 0600 file) and signed session cookies."""

from __future__ import annotations

import base64
import hmac
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from services.monitor.sessions import SessionSigner, Throttle, key_file
from services.monitor.users import UserError, UserStore, check_password, hash_password


def test_passwords_are_salted_scrypt_hashes(tmp_path: Path) -> None:
    one, two = hash_password("mat-khau-dai-du"), hash_password("mat-khau-dai-du")
    assert one != two
    assert one.startswith("scrypt$16384$8$1$")
    assert check_password("mat-khau-dai-du", one)
    assert not check_password("mat-khau-khac", one)
    assert not check_password("x", "not-a-hash")


def test_the_user_file_is_private_and_holds_no_password(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    user = store.add("vp.lan", "office", "mat-khau-van-phong")
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600
    assert "mat-khau-van-phong" not in (tmp_path / "users.json").read_text()
    assert "mat-khau" not in repr(user)
    assert store.verify("vp.lan", "mat-khau-van-phong") == user
    assert store.verify("vp.lan", "sai") is None
    assert store.verify("khong.co", "mat-khau-van-phong") is None


@pytest.mark.parametrize(
    ("name", "agency", "password", "message"),
    [
        ("Vp Lan", "office", "mat-khau-van-phong", "user names"),
        ("vp.lan", "no-such-agency", "mat-khau-van-phong", "unknown agency"),
        ("vp.lan", "office", "ngan", "at least 10"),
    ],
)
def test_bad_users_are_refused(tmp_path: Path, name: str, agency: str, password: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        UserStore(tmp_path / "users.json").add(name, agency, password)


def test_disabling_or_a_new_password_bumps_the_version(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("thue.an", "tax", "mat-khau-chi-cuc")
    assert store.set_password("thue.an", "mat-khau-moi-hon").version == 2
    assert store.verify("thue.an", "mat-khau-chi-cuc") is None
    assert store.disable("thue.an").version == 3
    assert store.verify("thue.an", "mat-khau-moi-hon") is None
    store.enable("thue.an")
    assert store.verify("thue.an", "mat-khau-moi-hon") is not None
    other = UserStore(tmp_path / "users.json")  # another process sees the changes
    assert other.get("thue.an") is not None
    assert other.get("thue.an").version == 4  # type: ignore[union-attr]
    store.remove("thue.an")
    assert other.get("thue.an") is None


def test_session_cookies_are_signed_and_expire(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    user = store.add("vp.lan", "office", "mat-khau-van-phong")
    signer = SessionSigner(b"k" * 32, timedelta(hours=1))
    cookie = signer.issue(user, 1000.0)
    assert signer.read(cookie, 1001.0) == ("vp.lan", 1)
    assert signer.read(cookie, 1000.0 + 3601) is None
    signed, mac = cookie.rsplit(".", 1)
    assert signer.read(signed + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B"), 1001.0) is None
    assert SessionSigner(b"o" * 32, timedelta(hours=1)).read(cookie, 1001.0) is None
    assert signer.read(None, 1001.0) is None
    assert signer.read("garbage", 1001.0) is None
    with pytest.raises(ValueError, match="32 bytes"):
        SessionSigner(b"short", timedelta(hours=1))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_tampered_session_cookie_reads_as_no_session(tmp_path: Path) -> None:
    user = UserStore(tmp_path / "users.json").add("thue.an", "tax", "mat-khau-chi-cuc")
    signer = SessionSigner(b"k" * 32, timedelta(hours=1))
    cookie = signer.issue(user, 1000.0)
    payload, stamp, mac = cookie.split(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == {"u": "thue.an", "v": 1}
    # another user, a newer version (a disabled user's old cookie made current), a later issue time: all refused
    for body in ({"u": "vp.lan", "v": 1}, {"u": "thue.an", "v": 2}):
        forged = _b64(json.dumps(body, separators=(",", ":")).encode())
        assert signer.read(f"{forged}.{stamp}.{mac}", 1001.0) is None
    assert signer.read(cookie, 4700.0) is None  # expired: a later issue time written in does not revive it
    assert signer.read(f"{payload}.{_b64((4000).to_bytes(2, 'big'))}.{mac}", 4700.0) is None
    assert signer.read(f"{payload}.{stamp}", 1001.0) is None  # no signature
    assert signer.read(f"{payload}.{stamp}.{mac}.x", 1001.0) is None
    assert signer.read(cookie.replace(".", "", 1), 1001.0) is None
    # the cookies of the hand-made format this replaced are no sessions either
    old_body = _b64(json.dumps({"u": "thue.an", "v": 1, "e": 4600}, separators=(",", ":")).encode())
    old_mac = _b64(hmac.new(b"k" * 32, b"lienthong-monitor-session-v1." + old_body.encode(), "sha256").digest())
    assert signer.read(f"{old_body}.{old_mac}", 1001.0) is None
    # the same key signing for another purpose does not make a session
    other = URLSafeTimedSerializer(b"k" * 32, salt="another-purpose").dumps({"u": "thue.an", "v": 1})
    assert signer.read(other, 1001.0) is None


def test_a_session_lasts_its_lifetime_from_issue_to_the_second(tmp_path: Path) -> None:
    user = UserStore(tmp_path / "users.json").add("vp.lan", "office", "mat-khau-van-phong")
    signer = SessionSigner(b"k" * 32, timedelta(hours=10))
    cookie = signer.issue(user, 1000.0)
    assert signer.read(cookie, 1000.0 + 36_000 - 0.001) == ("vp.lan", 1)
    assert signer.read(cookie, 1000.0 + 36_000) is None
    assert SessionSigner(b"k" * 32, timedelta(minutes=1)).read(cookie, 1100.0) is None  # a shorter lifetime now
    # a worker whose clock runs behind the one that issued the cookie still reads it
    assert signer.read(cookie, 998.0) == ("vp.lan", 1)


def test_a_session_carries_the_user_version_so_a_disabled_user_is_signed_out(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    user = store.add("thue.an", "tax", "mat-khau-chi-cuc")
    signer = SessionSigner(b"k" * 32, timedelta(hours=1))
    cookie = signer.issue(user, 1000.0)
    disabled = store.disable("thue.an")
    assert signer.read(cookie, 1001.0) == ("thue.an", 1) != ("thue.an", disabled.version)
    assert signer.read(signer.issue(disabled, 1000.0), 1001.0) == ("thue.an", disabled.version)


def test_thekey_file_is_made_once_and_private(tmp_path: Path) -> None:
    key = key_file(tmp_path / "k.key")
    assert len(key) == 32
    assert key_file(tmp_path / "k.key") == key
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600


def test_repeated_failures_block_a_name_for_a_while() -> None:
    throttle = Throttle(limit=3, window_s=60, block_s=30)
    for n in range(3):
        assert not throttle.blocked("vp.lan", 100 + n)
        throttle.failed("vp.lan", 100 + n)
    assert throttle.blocked("vp.lan", 105)
    assert not throttle.blocked("vp.lan", 140)  # the block ran out
    assert not throttle.blocked("thue.an", 105)
    throttle.succeeded("vp.lan")
    assert not throttle.blocked("vp.lan", 106)
