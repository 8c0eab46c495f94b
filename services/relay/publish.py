"""Publishing an accepted event: the one place where "accepted" becomes "durable and routed".

The event is written to its dossier's partition of the event log (acks=all), then the publisher waits for
the router's receipt of that very record, and answers with the router's verdict:

- ``routed`` → 202: the event is in the dossier's ledger and what it sends is on its way;
- ``duplicate`` → 202 (``Idempotent-Replayed``): the same event was accepted before;
- ``conflict`` → 409: its id was accepted before for another event (the first one stands);
- ``quarantined`` → 403/404/409: the router refused it (it waits in quarantine with the reason).

Nothing is ever answered 202 before Kafka stored it. When Kafka does not acknowledge within
``timeout_s``, or the router has not ruled by then, the answer is 503 with ``Retry-After``: the agency
sends the same event again (same id), which is stored once. Requests for the same event id arriving
together on one worker are written once: the others wait and get the same answer (409 if their content
differs).

    publish = Publisher(producer, book, topics, partitions=6, timeout_s=5, routing=lambda: True)
    answer = await publish(event)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from schemas.codec import CONTENT_TYPE, CONTENT_TYPE_HEADER, to_json
from services.relay.ingress import Answer, accepted, conflict, refusal_of, replayed, unavailable
from services.relay.receipts import ReceiptBook
from services.relay.routing import fingerprint
from services.relay.topics import RelayTopics
from services.stream.kafka import Producer, partition_of

__all__ = ["Publisher"]

log = logging.getLogger(__name__)
_HEADERS = [(CONTENT_TYPE_HEADER, CONTENT_TYPE.encode())]


class Publisher:
    def __init__(
        self,
        producer: Producer,
        book: ReceiptBook,
        topics: RelayTopics,
        partitions: int,
        timeout_s: float,
        routing: Callable[[], bool],
    ) -> None:
        self.producer = producer
        self.book = book
        self.topics = topics
        self.partitions = partitions
        self.timeout_s = timeout_s
        self.routing = routing
        self._inflight: dict[str, tuple[str, asyncio.Future[Answer]]] = {}

    async def __call__(self, event: Any) -> Answer:
        print_ = fingerprint(event)
        running = self._inflight.get(event.id)
        if running is not None:  # the same id is being published right now: one write, one verdict
            known, future = running
            if known != print_:
                return conflict(event)
            answer = await asyncio.shield(future)
            return replayed(event) if answer.status == 202 else answer
        mine: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[event.id] = (print_, mine)
        try:
            answer = await self._publish(event)
            mine.set_result(answer)
            return answer
        except BaseException as exc:
            mine.set_exception(exc)
            mine.exception()  # retrieved: the waiters (if any) re-raise it
            raise
        finally:
            del self._inflight[event.id]

    async def _publish(self, event: Any) -> Answer:
        if not self.routing():
            return unavailable(
                "this worker is not ready to route (starting, rebalancing or cut off from Kafka); retry",
                "Hệ thống đang khởi động hoặc mất kết nối Kafka; vui lòng gửi lại sau.",
            )
        key = event.subject.encode()
        partition = partition_of(key, self.partitions)
        deadline = time.monotonic() + self.timeout_s
        try:
            sent = await asyncio.wait_for(
                self.producer.send(self.topics.events, to_json(event), key=key, partition=partition, headers=_HEADERS),
                timeout=self.timeout_s,
            )
            meta = await asyncio.wait_for(sent, timeout=max(0.001, deadline - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - Kafka did not acknowledge: nothing is promised, the agency retries
            log.warning("could not write event %s to Kafka: %s", event.id, type(exc).__name__)
            return unavailable("Kafka did not acknowledge the write; retry", "Hệ thống tạm thời bận; vui lòng thử lại.")
        receipt = await self.book.wait(self.topics.events, meta.partition, meta.offset, deadline - time.monotonic())
        if receipt is None:
            return unavailable(
                "the event is stored but not routed yet; send it again with the same id",
                "Sự kiện đã được lưu nhưng chưa được chuyển tiếp; vui lòng gửi lại với cùng mã sự kiện.",
            )
        if receipt.kind == "routed":
            return accepted(event)
        if receipt.kind == "duplicate":
            return replayed(event)
        if receipt.kind == "conflict":
            return conflict(event)
        code = receipt.code or "refused"
        return refusal_of(code, f"the router refused the event: {code}", f"Sự kiện bị từ chối: {code}.")
