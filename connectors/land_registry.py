"""The land registration branch's system (Chi nhánh Văn phòng đăng ký đất đai).

POST ``{url}/api/handoffs`` with the event body unchanged; the dossier code travels in
``X-Dossier-Code`` because the registry indexes incoming handoffs by dossier.
"""

from __future__ import annotations

from connectors.base import PushConnector
from connectors.models import OutboundEvent

__all__ = ["LandRegistryConnector"]


class LandRegistryConnector(PushConnector):
    """Push connector for the land registry.

    async with LandRegistryConnector(endpoint) as conn: await conn.deliver(event)
    """

    path = "/api/handoffs"

    def extra_headers(self, event: OutboundEvent) -> dict[str, str]:
        return {"X-Dossier-Code": event.dossier_code}
