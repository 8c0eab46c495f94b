"""The one error type every ``lienthong`` subcommand raises for a one-line failure.

It lives apart from ``services.cli`` so that it is the same class whether the CLI runs as the
``lienthong`` script or as ``python -m services.cli`` (where that module is ``__main__``).
"""

from __future__ import annotations

__all__ = ["CliError"]


class CliError(Exception):
    """A failure reported as ``lienthong: error: <message>`` with a non-zero exit."""
