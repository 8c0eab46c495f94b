"""Alerts as they travel: CloudEvents structured JSON on ``<prefix>.alerts``, key = dossier code.

``data`` carries the rule, level, handoff, dossier, responsible agency, due time, the audience the level
escalates to, and the reason in Vietnamese (NFC) and English. The id is derived from the dossier and
the deduplication key, so a repeat (a redrive, a crash between send and commit) has the same id and a
receiver drops it by its ``Idempotency-Key``.

Usage::

    doc = alert_document(state, finding, rules.version, raised_at=now)
    body = to_bytes(doc)
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from services.watchdog.findings import Finding

__all__ = ["ALERT_TYPE", "alert_document", "alert_id", "to_bytes"]

ALERT_TYPE = "vn.lienthong.alert.raised"
_NAMESPACE = uuid.UUID("3c0d6a4e-2f5b-4d8a-8e1f-6c69656e7468")


def alert_id(dossier_code: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{dossier_code}|{key}"))


def alert_document(
    dossier_code: str, procedure_code: str, finding: Finding, rules_version: int, raised_at: datetime
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": alert_id(dossier_code, finding.key),
        "source": "urn:lienthong:watchdog",
        "type": ALERT_TYPE,
        "subject": dossier_code,
        "time": raised_at.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "rule": finding.rule,
            "level": finding.level,
            "rules_version": rules_version,
            "dossier_code": dossier_code,
            "procedure_code": procedure_code,
            "handoff_id": finding.handoff_id,
            "subject": finding.subject,
            "step_id": None if finding.step_id == "-" else finding.step_id,
            "cycle": finding.cycle,
            "responsible_agency": finding.agency,
            "audience": list(finding.audience),
            "due": finding.due.isoformat() if finding.due else None,
            "at": finding.at.isoformat(),
            "reason_vi": finding.reason_vi,
            "reason_en": finding.reason_en,
        },
    }


def to_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
