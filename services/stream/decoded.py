"""Stored values parsed once: the same bytes read again give the same model, without parsing them again.

A dossier's ledger is read by the ingress (to judge a request), the router (to route it), delivery (to see it
routed) and the web views, each time from the same bytes of the store; the watchdog's state likewise. The
models are frozen and every change makes a new one (``model_copy``, copied containers), so one parsed model
can be handed to every reader. Entries are keyed by the bytes themselves, so a value changed by another
worker (a new changelog record) is simply a miss.

    LEDGERS = Decoded.of(Ledger)
    ledger = LEDGERS.load(raw)          # parsed on a miss
    store.put(partition, key, LEDGERS.dump(ledger))   # what is written is known already

    ROWS = Decoded(parse=..., dump=...)  # any immutable value and its two conversions
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

__all__ = ["Decoded"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Decoded(Generic[T]):
    def __init__(self, parse: Callable[[bytes], T], dump: Callable[[T], bytes], size: int = 2048) -> None:
        self.parse = parse
        self.render = dump
        self.size = size
        self._parsed: OrderedDict[bytes, T] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @classmethod
    def of(cls, model: type[M], size: int = 2048) -> Decoded[M]:
        """For a frozen pydantic model: ``model_validate_json`` and ``model_dump_json``."""
        return Decoded(model.model_validate_json, lambda value: value.model_dump_json().encode(), size)

    def load(self, raw: bytes) -> T:
        """The value ``raw`` holds (the parser's errors on a miss)."""
        found = self._parsed.get(raw)
        if found is not None:
            self._parsed.move_to_end(raw)
            self.hits += 1
            return found
        self.misses += 1
        parsed = self.parse(raw)
        self._remember(raw, parsed)
        return parsed

    def dump(self, value: T) -> bytes:
        """``value`` as bytes, remembered for the next :meth:`load` of them."""
        raw = self.render(value)
        self._remember(raw, value)
        return raw

    def _remember(self, raw: bytes, value: T) -> None:
        self._parsed[raw] = value
        if len(self._parsed) > self.size:
            self._parsed.popitem(last=False)
