"""The liaison relay: ingress API, router, delivery agents. ``Relay`` is what the other flows build on."""

from __future__ import annotations

from dataclasses import dataclass

from connectors import AgencyEndpoint
from services.relay.agents import RelayCounters
from services.relay.ingress import Ingress
from services.relay.routing import RoutingContext
from services.relay.topics import RelayTopics

__all__ = ["Relay"]


@dataclass(frozen=True)
class Relay:
    """The relay as installed on one app: its topics and ledger table, routing context, counters, ingress."""

    topics: RelayTopics
    ctx: RoutingContext
    counters: RelayCounters
    ingress: Ingress
    endpoints: list[AgencyEndpoint]
