"""Pull connectors in the worker: for agency systems that cannot receive pushes, poll their "results since"
and feed each result into the ingress path, exactly as if the agency had posted it.

An item is checked like a POST from that agency (schema, source, authorisation); an item refused for good
goes to the quarantine topic with the reason, so the page still moves on and nothing is lost. The cursor
is kept in ``<data dir>/pull-cursors.json`` once a page is through. One poller per pull endpoint, on the
worker that runs it (a deployment with several workers runs pull endpoints on one of them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from connectors import AgencyEndpoint, PullConnector, build_connector
from services.relay.deadletter import DeadLetter
from services.relay.ingress import Ingress
from services.relay.publish import Publisher
from services.relay.topics import RelayTopics
from services.stream.kafka import Producer
from services.stream.worker import Worker

__all__ = ["install_pullers"]

log = logging.getLogger(__name__)


class _Cursors:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, agency: str) -> str | None:
        try:
            value = json.loads(self.path.read_text()).get(agency)
        except (FileNotFoundError, ValueError):
            return None
        return value if isinstance(value, str) else None

    async def put(self, agency: str, cursor: str) -> None:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            data = {}
        data[agency] = cursor
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)


def install_pullers(
    worker: Worker,
    topics: RelayTopics,
    ingress: Ingress,
    publish: Publisher,
    producer: Producer,
    endpoints: list[AgencyEndpoint],
    data_dir: Path,
) -> None:
    pulls = [e for e in endpoints if e.kind == "pull"]
    if not pulls:
        return
    cursors = _Cursors(data_dir / "pull-cursors.json")

    def submitter(agency: str) -> Any:
        async def submit(item: dict[str, Any]) -> None:
            event, refusal = await ingress.decide(agency, item)
            if refusal is None:
                answer = await publish(event)
                if answer.status == 202:
                    return
                raise RuntimeError("event log unavailable")  # the page is read again later
            if refusal.status == 202:  # a repeat of an event already accepted
                return
            letter = DeadLetter.build(
                kind="quarantine",
                source_topic=topics.events,
                payload=json.dumps(item, ensure_ascii=False).encode(),
                event_id=str(item.get("id"))[:128] if item.get("id") else None,
                agency=agency,
                status=refusal.status,
                reason_en=f"pulled item refused: {refusal.body.get('code')}: {refusal.body.get('message_en')}",
                reason_vi=str(refusal.body.get("message_vi")),
                field_errors=refusal.body.get("errors"),
            )
            key = str(item.get("subject", "")).encode() or None
            await producer.send_and_wait(topics.quarantine, letter.to_json(), key=key)

        return submit

    async def pull_results() -> None:
        stop = asyncio.Event()
        runners = []
        for endpoint in pulls:
            agency = endpoint.agency

            async def save(cursor: str, agency: str = agency) -> None:
                await cursors.put(agency, cursor)

            connector = build_connector(endpoint, submit=submitter(agency), cursor=cursors.get(agency), on_cursor=save)
            assert isinstance(connector, PullConnector)
            runners.append(connector)
        for connector in runners:
            await connector.start()
        try:
            await asyncio.gather(*(c.run(stop) for c in runners))
        finally:
            stop.set()
            for connector in runners:
                await connector.aclose()

    worker.task("pull", pull_results)
