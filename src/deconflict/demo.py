"""The demo scenario: three parties over one city (two air forces and an aid organisation),
loaded through the service from `data/city.json` with its times shifted to start from now."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deconflict.engine import Kind
from deconflict.geometry import parse_volumes
from deconflict.service import Principal, Service
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, create_party

CITY = Path(__file__).parent / "data" / "city.json"
LEAD = timedelta(minutes=15)  # the first volume starts this long after loading


def _shift(volumes: list[dict[str, Any]], delta: timedelta) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(json.dumps(volumes))
    for v in out:
        for end in ("time_start", "time_end"):
            t = datetime.fromisoformat(v[end]["value"]) + delta
            v[end]["value"] = t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return out


def _delta(operations: list[dict[str, Any]], now: float) -> timedelta:
    first = min(
        datetime.fromisoformat(v["time_start"]["value"]) for o in operations for v in o["volumes"]
    )
    start = datetime.fromtimestamp(math.floor(now / 60) * 60, UTC) + LEAD
    return start - first


def load(svc: Service, path: Path = CITY) -> dict[str, str]:
    """Create the scenario's parties and operations; return each party's API key by name."""
    operations = json.loads(path.read_text())["operations"]
    delta = _delta(operations, svc.now())
    keys: dict[str, str] = {}
    who: dict[str, Principal] = {}
    for o in operations:
        name = o["party"]
        if name not in who:
            made = create_party(svc, ADMIN, name)
            keys[name], who[name] = made["api_key"], Principal(made["id"], name)
        vols = parse_volumes(_shift(o["volumes"], delta), "volumes", svc.config.bounds)
        ops.create(svc, who[name], ops.Draft(Kind(o["kind"]), vols, label=o.get("label", "")))
    return keys
