"""Writing accepted events to the event log: the one place where "accepted" becomes "durable".

publish = Publisher(topics, ingress)
answer = await publish(event)      # 202 once Kafka acknowledged (acks=all), 503 if it did not
"""

from __future__ import annotations

import logging
from typing import Any

from schemas.codec import CONTENT_TYPE, CONTENT_TYPE_HEADER, to_json
from services.relay.ingress import Answer, Ingress, problem
from services.relay.topics import RelayTopics

__all__ = ["Publisher"]

log = logging.getLogger(__name__)
_HEADERS = [(CONTENT_TYPE_HEADER, CONTENT_TYPE.encode())]


class Publisher:
    def __init__(self, topics: RelayTopics, ingress: Ingress) -> None:
        self.topics = topics
        self.ingress = ingress

    async def __call__(self, event: Any) -> Answer:
        try:
            fut = await self.topics.events.send(key=event.subject.encode(), value=to_json(event), headers=_HEADERS)
            meta = await fut
        except Exception:  # noqa: BLE001 - Kafka unavailable: nothing was accepted, the agency retries
            log.exception("could not write event %s to Kafka", event.id)
            return problem(503, "unavailable", "Kafka did not acknowledge the write; retry", "Hệ thống tạm thời bận.")
        body = self.ingress.accepted_body(event, meta.partition, meta.offset)
        self.ingress.remember(event, body)
        return Answer(202, body)
