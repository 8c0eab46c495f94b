"""lienthong's stream runtime on aiokafka: consumer-group members that commit only what is done
(:mod:`~services.stream.processor`), changelog-backed stores with a copy of every partition on every worker
(:mod:`~services.stream.store`), and the worker process that runs them with its web server
(:mod:`~services.stream.worker`).

It replaces faust-streaming's agents and tables, whose acknowledgement of records skipped around a rebalance
could commit records no agent processed; see ``README.md``, "Delivery guarantees".
"""

from services.stream.kafka import KafkaClients, Producer, partition_of
from services.stream.processor import Handler, Processor
from services.stream.store import Store
from services.stream.worker import Worker, run

__all__ = ["Handler", "KafkaClients", "Processor", "Producer", "Store", "Worker", "partition_of", "run"]
