"""Notifier connectors: who hears of an alert, and how (webhook, email); the contacts file.

- the **webhook** is a ``connectors`` webhook (same signing, retries and ``Idempotency-Key`` as the
  relay's deliveries); a failure goes to ``<prefix>.deadletter`` with its reason;
- **email** goes over SMTP (``smtplib`` in a thread, a few attempts); recipients come from the contacts
  file per agency and audience: ``unit`` and ``head`` of the responsible agency, ``office``,
  ``leadership``; the daily digest goes to ``digest`` (default: ``office``).

Contacts file (``LIENTHONG_CONTACTS_FILE``, default ``<data dir>/contacts.yaml``)::

    agencies:
      tax: {unit: [mot-cua@thue.example], head: [chi-cuc-truong@thue.example]}
    office: [vanphong@nhatrang.example]
    leadership: [pct@nhatrang.example]
    digest: [vanphong@nhatrang.example]

Usage::

    email = EmailNotifier(host, port, sender)
    await email.send(email.compose(document, contacts.recipients_of(document)))
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import AgencyEndpoint
from schemas.events import TZ
from services.watchdog.alerts import ALERT_TYPE
from services.watchdog.digest import DIGEST_TYPE, digest_text

__all__ = ["Contacts", "ContactsError", "EmailError", "EmailNotifier", "load_contacts", "webhook_endpoint"]

RULE_VI = {
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "unacknowledged": "Chưa tiếp nhận",
    "stalled": "Không có tiến triển",
    "second_supplement": "Yêu cầu bổ sung nhiều lần",
    "late_supplement": "Yêu cầu bổ sung muộn",
    "unlisted_supplement": "Yêu cầu bổ sung ngoài thành phần hồ sơ",
    "no_reason": "Tạm dừng/từ chối không nêu lý do",
    "improper_cancellation": "Hủy hồ sơ không đúng quy định",
    "suspension": "Tạm dừng không đúng quy định",
    "reappointment": "Hẹn lại không đúng quy định",
    "bounced": "Chuyển trả nhiều lần",
    "result_not_closed": "Chưa trả kết quả",
    "apology_missing": "Chưa có phiếu xin lỗi",
}
Email = str


class ContactsError(ValueError):
    """The contacts file is invalid."""


class EmailError(RuntimeError):
    """SMTP delivery failed after its attempts."""


class AgencyContacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: tuple[Email, ...] = ()
    head: tuple[Email, ...] = ()


class Contacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: dict[str, AgencyContacts] = Field(default_factory=dict)
    office: tuple[Email, ...] = ()
    leadership: tuple[Email, ...] = ()
    digest: tuple[Email, ...] = ()

    def recipients_of(self, document: dict[str, Any]) -> list[str]:
        """Who gets an alert (by its responsible agency and audience) or the digest."""
        if document.get("type") == DIGEST_TYPE:
            return list(self.digest or self.office)
        data = document.get("data", {})
        agency = self.agencies.get(str(data.get("responsible_agency")), AgencyContacts())
        found: list[str] = []
        for audience in data.get("audience", ()):
            found.extend(
                {"unit": agency.unit, "head": agency.head, "office": self.office, "leadership": self.leadership}.get(
                    audience, ()
                )
            )
        return list(dict.fromkeys(found))


def load_contacts(path: Path) -> Contacts:
    """The contacts file; none configured (no file): nobody gets email."""
    if not path.exists():
        return Contacts()
    try:
        return Contacts.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ContactsError(f"invalid contacts file {path}: {exc}") from None


def webhook_endpoint(url: str, secret: str, max_attempts: int, backoff_s: float) -> AgencyEndpoint:
    """The Office's alert webhook as a connector endpoint (kind ``webhook``)."""
    return AgencyEndpoint(
        agency="office",
        kind="webhook",
        url=url,
        secret=secret,
        timeout_s=10,
        max_attempts=max_attempts,
        backoff_initial_s=backoff_s,
        backoff_max_s=max(backoff_s * 16, backoff_s),
        max_elapsed_s=120,
    )


class EmailNotifier:
    """Alert and digest emails over SMTP."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        attempts: int = 3,
        wait_s: float = 0.5,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self._password = starttls, username, password
        self.attempts, self.wait_s, self.timeout_s = attempts, wait_s, timeout_s

    def compose(self, document: dict[str, Any], recipients: list[str]) -> EmailMessage:
        """The message for an alert or digest document (plain text, Vietnamese first)."""
        msg = EmailMessage()
        data = document.get("data", {})
        if document.get("type") == DIGEST_TYPE:
            msg["Subject"] = f"[lienthong] {data.get('title_vi')} ({data.get('count', 0)})"
            body = digest_text(document)
        elif document.get("type") == ALERT_TYPE:
            rule = str(data.get("rule"))
            msg["Subject"] = (
                f"[lienthong] {RULE_VI.get(rule, rule)} (cấp {data.get('level')}): hồ sơ {data.get('dossier_code')}"
                f" — {data.get('responsible_agency')}"
            )
            lines = [
                str(data.get("reason_vi")),
                "",
                str(data.get("reason_en")),
                "",
                f"Mã hồ sơ / dossier: {data.get('dossier_code')}",
                f"Phiếu chuyển / handoff: {data.get('handoff_id') or '-'}",
                f"Cơ quan chịu trách nhiệm / responsible: {data.get('responsible_agency')}",
                f"Hạn / due: {data.get('due') or '-'}",
                f"Quy tắc / rule: {rule} level {data.get('level')} (rules v{data.get('rules_version')})",
                f"Mã cảnh báo / alert id: {document.get('id')}",
            ]
            body = "\n".join(lines)
        else:
            raise ValueError(f"not an alert or digest: {document.get('type')!r}")
        msg["From"] = self.sender
        msg["To"] = ", ".join(recipients)
        msg["Date"] = format_datetime(datetime.now(TZ))  # the recipients' time, not the server's zone
        msg["Message-ID"] = make_msgid(idstring=str(document.get("id"))[:40], domain="lienthong")
        msg.set_content(body, charset="utf-8")
        return msg

    def _send_once(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username and self._password:
                smtp.login(self.username, self._password)
            smtp.send_message(msg)

    async def send(self, msg: EmailMessage) -> None:
        """Send, retrying transient failures; raises :class:`EmailError` with the last cause."""
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                await asyncio.to_thread(self._send_once, msg)
                return
            except smtplib.SMTPResponseException as exc:
                last = exc
                if 500 <= exc.smtp_code < 600:  # permanent: a retry cannot help
                    break
            except (OSError, smtplib.SMTPException) as exc:
                last = exc
            if attempt < self.attempts:
                await asyncio.sleep(self.wait_s * 2 ** (attempt - 1))
        raise EmailError(f"SMTP {self.host}:{self.port}: {type(last).__name__}: {last}")
