"""Where each agency's system receives lienthong's pushes: a YAML file of connector endpoints.

    endpoints:
      - {agency: tax, kind: tax, url: "https://thue.example/api", secret: "...", max_attempts: 8}

The file holds shared secrets (request signing), so it lives outside the repository
(``LIENTHONG_ENDPOINTS_FILE``, default ``<data dir>/endpoints.yaml``) and is never logged.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors import AgencyEndpoint
from schemas.agencies import default_agencies

__all__ = ["EndpointsError", "load_endpoints"]


class EndpointsError(ValueError):
    """The endpoints file is invalid; the message names the entry and field (never a secret)."""


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoints: list[AgencyEndpoint] = []


def load_endpoints(path: Path) -> list[AgencyEndpoint]:
    """The configured endpoints; none when the file does not exist (nothing is pushed)."""
    if not path.exists():
        return []
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        raise EndpointsError(f"{path} is not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EndpointsError(f"{path}: {where}: {first['msg']}") from None
    agencies = default_agencies()
    seen: set[str] = set()
    for endpoint in parsed.endpoints:
        if endpoint.agency not in agencies:
            raise EndpointsError(f"{path}: unknown agency {endpoint.agency!r}")
        if endpoint.agency in seen:
            raise EndpointsError(f"{path}: agency {endpoint.agency!r} listed twice")
        seen.add(endpoint.agency)
    return parsed.endpoints
