"""ICAO NOTAM text, one or many, each read as a hazard: the Q-line's centre and radius (or the
E item's polygon when it lists three or more coordinates), items B/C (UTC, `EST` taken as
given, `PERM` refused until open-ended windows are supported), F/G (`SFC`, `GND`, `nnnnFT|M
AMSL|AGL`, `FLnnn`, `UNL`; the Q-line's flight levels when absent). Item D (the schedule) is
read but not applied: the volume covers all of B to C, a superset of the scheduled times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from deconflict.formats.common import (
    UNLIMITED_M,
    ItemError,
    Read,
    altitude,
    circle,
    gather,
    polygon,
    rfc3339,
    volume,
)
from deconflict.formats.coordinates import packed

NM_M = 1852.0
_START = re.compile(r"(?m)^\s*\(?\s*([A-Z]\d{4}/\d{2})\s+NOTAM[NRC]\b")
_ITEM = re.compile(r"(?:^|\s)([QABCDEFG])\)\s*")
_Q_POINT = re.compile(r"^(\d{4}[NS])(\d{5}[EW])(\d{3})$")
_COORD = re.compile(r"\b(\d{4}(?:\d{2}(?:\.\d+)?)?[NS])\s*(\d{5}(?:\d{2}(?:\.\d+)?)?[EW])\b")
_LIMIT = re.compile(r"^(?:(SFC|GND)|(UNL)|FL\s*(\d{1,3})|(\d+)\s*(FT|M)\s*(AMSL|AGL|SFC|GND)?)$")


def split(text: str) -> list[str]:
    """The NOTAMs of a text, each from its id line (`A1234/26 NOTAMN`) to the next."""
    starts = [m.start() for m in _START.finditer(text)]
    if not starts:
        return [text] if text.strip() else []
    return [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def items(notam: str) -> dict[str, str]:
    """Items Q to G of one NOTAM as text."""
    marks = list(_ITEM.finditer(notam))
    out = {}
    for m, nxt in zip(marks, [*marks[1:], None], strict=False):
        end = nxt.start() if nxt else len(notam)
        out[m.group(1)] = " ".join(notam[m.end() : end].split()).rstrip(")")
    return out


def _time(raw: str, field: str) -> str:
    raw = raw.strip()
    if raw.upper().startswith("PERM"):
        raise ItemError(field, "PERM: open-ended (permanent) windows are not supported yet")
    m = re.match(r"^(\d{10})(?:\s*EST)?$", raw.upper())
    if m is None:
        raise ItemError(field, f"{raw!r} is not YYMMDDhhmm (UTC)")
    try:
        t = datetime.strptime(m.group(1), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise ItemError(field, f"{raw!r} is not a valid date and time") from None
    return rfc3339(t)


def _limit(raw: str, field: str) -> dict[str, Any]:
    m = _LIMIT.match(raw.strip().upper())
    if m is None:
        raise ItemError(field, f"{raw!r}: expected SFC, GND, nnnnFT AMSL|AGL, FLnnn or UNL")
    surface, unlimited, fl, value, units, ref = m.groups()
    if surface:
        return altitude(0.0, "M", "SFC")
    if unlimited:
        return altitude(UNLIMITED_M)
    if fl:
        return altitude(float(fl), "FL", "STD")
    reference = {"GND": "AGL", "SFC": "AGL", None: "AMSL"}.get(ref, ref)
    return altitude(float(value), units, reference)


def _q_line(q: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    parts = [p.strip() for p in q.split("/")]
    if len(parts) < 8:
        raise ItemError("Q", "expected FIR/QCODE/TRAFFIC/PURPOSE/SCOPE/LOWER/UPPER/POSITION")
    m = _Q_POINT.match(parts[7].replace(" ", ""))
    if m is None:
        raise ItemError("Q", f"{parts[7]!r} is not ddmmNdddmmErrr")
    lat, lng = packed(m.group(1), "Q"), packed(m.group(2), "Q")
    if not (parts[5].isdigit() and parts[6].isdigit()):
        raise ItemError("Q", "lower and upper must be flight levels (3 digits)")
    upper = altitude(UNLIMITED_M) if parts[6] == "999" else altitude(float(parts[6]), "FL", "STD")
    lower = (
        altitude(0.0, "M", "SFC") if parts[5] == "000" else altitude(float(parts[5]), "FL", "STD")
    )
    return circle(lat, lng, int(m.group(3)) * NM_M), lower, upper


def _operation(notam: str) -> tuple[dict[str, Any], str | None]:
    found = items(notam)
    for key in ("Q", "B", "C"):
        if key not in found:
            raise ItemError(key, f"item {key}) is required")
    disc, lower, upper = _q_line(found["Q"])
    coords = _COORD.findall(found.get("E", ""))
    outline = disc
    if len(coords) >= 3:
        outline = polygon((packed(a, "E"), packed(b, "E")) for a, b in coords)
    if "F" in found:
        lower = _limit(found["F"], "F")
    if "G" in found:
        upper = _limit(found["G"], "G")
    start, end = _time(found["B"], "B"), _time(found["C"], "C")
    ident = _START.search(notam)
    label = f"{ident.group(1)} " if ident else ""
    label = (label + found.get("E", ""))[:200]
    return {
        "kind": "hazard",
        "label": label,
        "volumes": [volume(outline, lower, upper, start, end, "C")],
    }, None


def read(text: str | bytes) -> Read:
    """Hazards from NOTAM text; item n is the n-th NOTAM in the text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return gather(enumerate(split(text)), _operation)
