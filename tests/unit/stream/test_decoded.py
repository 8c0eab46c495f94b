"""Stored values parsed once (services.stream.decoded) and the remembered partitioner (services.stream.kafka)."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner
from pydantic import BaseModel, ConfigDict

from services.stream.decoded import Decoded
from services.stream.kafka import partition_of, partitioner


class Row(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    marks: tuple[str, ...] = ()


def test_the_same_bytes_give_the_same_model_without_parsing_again() -> None:
    rows = Decoded.of(Row)
    raw = b'{"code":"H41.22-1","marks":["a"]}'
    first = rows.load(raw)
    again = rows.load(bytes(raw))  # equal bytes, another object (as a store returns them)
    assert again is first
    assert (rows.hits, rows.misses) == (1, 1)


def test_what_is_dumped_is_known_and_a_changed_value_is_parsed_anew() -> None:
    rows = Decoded.of(Row)
    row = Row(code="H41.22-1")
    raw = rows.dump(row)
    assert raw == row.model_dump_json().encode()
    assert rows.load(raw) is row
    changed = rows.load(b'{"code":"H41.22-1","marks":["b"]}')
    assert changed.marks == ("b",)
    assert rows.misses == 1


def test_the_oldest_entries_leave_first() -> None:
    rows = Decoded.of(Row, size=2)
    a, b, c = (rows.dump(Row(code=x)) for x in "abc")
    assert rows.load(c).code == "c"
    assert rows.misses == 0
    assert rows.load(a).code == "a"  # a left when c came: parsed again
    assert rows.misses == 1
    assert rows.load(b).code == "b"


def test_the_partitioner_places_keys_as_aiokafka_and_kafka_do() -> None:
    default = DefaultPartitioner()
    for i in range(2000):
        key = f"H41.22-251202-{i:05d}".encode()
        parts = list(range(random.choice([1, 3, 6, 12])))
        assert partitioner(key, parts, parts) == default(key, parts, parts)
        assert partition_of(key, len(parts)) == default(key, parts, parts)
    assert partitioner(None, [0, 1, 2], [1]) == 1  # no key: one of the available partitions
