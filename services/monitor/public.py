"""What a citizen may see without signing in: where their dossier is, and each agency's monthly figures.

The one-stop-shop prints a short *check code* on the receipt (``check_code``: an HMAC of the dossier code,
eight characters from an alphabet without look-alikes, ``K7MQ-3XTA``). With the dossier code and that code
the public page (``/tra-cuu``) shows which agency holds the dossier now, the appointment date (moved by an
apology notice, with the notice's date and reason-giver), whether it is late — and nothing personal: no
name, no document, no officer. An unknown dossier and a wrong check code get the same answer, in the same
work (the code is derived and compared in both cases), so the page cannot be used to find dossier codes;
each address may look up ``limit`` times per hour.

The public monthly page (``/cong-khai``) publishes Decision 766's processing-progress figures per agency:
work finished, the share early or on time, late, still held overdue, apologies issued.

Usage::

    code = check_code(key, "000.00.20.H41-261116-0001")
    status = public_status(state, workflow, now, calendar)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime

from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.monitor.facts import cycle_facts, dossier_fact
from services.watchdog.state import WatchState

__all__ = [
    "ALPHABET",
    "PublicStatus",
    "RateLimit",
    "check_code",
    "check_matches",
    "client_address",
    "public_status",
]

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud and typed without confusion
_CONTEXT = b"lienthong-check-code-v1\x00"
CODE_RE = re.compile(r"^[A-Za-z0-9.\-_]{3,64}$")


def check_code(key: bytes, dossier_code: str) -> str:
    """Eight characters (about 39 bits) derived from the dossier code, printed as ``XXXX-XXXX``."""
    n = int.from_bytes(hmac.new(key, _CONTEXT + dossier_code.encode(), hashlib.sha256).digest()[:8], "big")
    chars = []
    for _ in range(8):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def _normal(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def check_matches(key: bytes, dossier_code: str, given: str) -> bool:
    """Whether ``given`` is the dossier's check code (case, spaces and dashes ignored; constant time)."""
    return hmac.compare_digest(_normal(check_code(key, dossier_code)).encode(), _normal(given)[:16].encode())


@dataclass(frozen=True)
class Apology:
    issued_at: datetime
    new_appointment_at: datetime
    agency: str


@dataclass(frozen=True)
class PublicStatus:
    """What the public page says about one dossier."""

    code: str
    procedure_code: str
    received_at: datetime
    appointment_at: datetime  # the latest: moved by an apology notice
    first_appointment_at: datetime
    state: str  # processing, suspended, result_ready, finished, refused, cancelled
    holders: tuple[str, ...]  # agencies holding it now (none once the result is ready)
    late: bool
    apologies: tuple[Apology, ...]


def public_status(state: WatchState, workflow: Workflow, now: datetime, cal: WorkingCalendar) -> PublicStatus:
    fact = dossier_fact(state, now, cal)
    cycles = cycle_facts(state, workflow, now, cal)
    apologies = tuple(Apology(at, new, agency) for at, new, agency in state.dossier.apologies)
    appointment = max([fact.appointment_at, *(a.new_appointment_at for a in apologies)])
    if fact.outcome in ("refused", "cancelled"):
        shown = fact.outcome
    elif fact.status == "closed":
        shown = "finished"
    elif fact.status == "result_ready" or fact.outcome == "ready":
        shown = "result_ready"
    elif fact.suspended:
        shown = "suspended"
    else:
        shown = "processing"
    holders = (
        tuple(dict.fromkeys(c.to_agency for c in cycles if c.open)) if shown in ("processing", "suspended") else ()
    )
    late = fact.verdict == "late" or (fact.open and now > appointment)
    return PublicStatus(
        code=fact.code,
        procedure_code=fact.procedure_code,
        received_at=fact.received_at,
        appointment_at=appointment,
        first_appointment_at=fact.appointment_at,
        state=shown,
        holders=holders,
        late=late,
        apologies=apologies,
    )


class RateLimit:
    """At most ``limit`` requests per ``window_s`` from one address (a sliding window; bounded memory)."""

    def __init__(self, limit: int, window_s: float = 3600.0, max_addresses: int = 50_000) -> None:
        self.limit, self.window_s, self.max_addresses = limit, window_s, max_addresses
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, address: str, now: float | None = None) -> float:
        """0 when allowed (and counted); else the seconds until the address may try again."""
        now = time.monotonic() if now is None else now
        times = self._seen.pop(address, None) or deque()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        self._seen[address] = times  # most recently seen last
        if len(self._seen) > self.max_addresses:
            self._seen.popitem(last=False)
        if len(times) >= self.limit:
            return max(1.0, self.window_s - (now - times[0]))
        times.append(now)
        return 0.0


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` -> the networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def client_address(remote: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """Whom the allowance counts: the peer, or, when the peer is a trusted proxy, the last address in
    ``X-Forwarded-For`` that is not one (proxies append, so the ones before it could be forged). An IPv6
    address counts by its /64, what one subscriber is usually given."""

    def parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(text.strip())
        except ValueError:
            return None

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in trusted)

    address = parsed(remote or "")
    if address is not None and is_trusted(address) and forwarded_for:
        for hop in reversed(forwarded_for.split(",")):
            found = parsed(hop)
            if found is None:
                break
            address = found
            if not is_trusted(found):
                break
    if address is None:
        return remote or "?"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
