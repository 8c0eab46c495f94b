"""The one error type every ``lienthong`` subcommand raises for a one-line failure.

It lives apart from ``services.cli`` so that it is the same class whether the CLI runs as the
``lienthong`` script or as ``python -m services.cli`` (where that module is ``__main__``).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterator

__all__ = ["CliError", "HelpFormatter", "agency_code", "either_side", "procedure_code"]


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; lines of an epilog that start with two spaces (examples) kept
    as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines: list[str] = []
        for line in text.splitlines():
            if line.startswith("  ") or not line.strip():
                lines.append(indent + line)
            else:
                lines.extend(textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent))
        return "\n".join(lines)


class CliError(Exception):
    """A failure reported as ``lienthong: error: <message>`` with a non-zero exit."""


def agency_code(value: str) -> str:
    """An ``argparse`` type: a code of ``schemas/agencies.yaml``, else exit 2 naming the known ones (an
    unknown code would otherwise filter everything out and look like "nothing to report")."""
    from schemas.agencies import default_agencies

    known = list(default_agencies())
    if value not in known:
        raise argparse.ArgumentTypeError(f"không có cơ quan / unknown agency {value!r}; one of: {', '.join(known)}")
    return value


def procedure_code(value: str) -> str:
    """An ``argparse`` type: a procedure with a workflow in ``schemas/workflows/``, else exit 2."""
    from schemas.workflows import default_workflows

    known = list(default_workflows().procedure_codes)
    if value not in known:
        raise argparse.ArgumentTypeError(f"không có thủ tục / unknown procedure {value!r}; one of: {', '.join(known)}")
    return value


def either_side(command: argparse.ArgumentParser, sub: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Yields ``command`` and then ``sub`` (its sub-command) to receive the same options, so that both
    ``lienthong report --month 2026-11 late`` and ``lienthong report late --month 2026-11`` parse.

    argparse copies everything the sub-command's parser sets over what the command's parser parsed, its
    defaults included; so the command keeps the defaults and the sub-command sets only what it was given."""
    yield command
    before = len(sub._actions)
    yield sub
    for action in sub._actions[before:]:
        action.default = argparse.SUPPRESS
