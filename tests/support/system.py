"""The whole system on loopback for tests (see simulators.stack)."""

from __future__ import annotations

from simulators.stack import Stack as System
from simulators.stack import post_raw

__all__ = ["System", "post_raw"]
