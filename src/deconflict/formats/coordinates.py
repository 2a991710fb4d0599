"""Coordinates as people write them: decimal degrees, degrees-minutes-seconds, MGRS."""

from __future__ import annotations

import re

from deconflict.formats.common import ItemError

# 36°12'30.5"N, 36 12 30.5 N, N36°12.5', 361230N, 0370600E (packed, as in NOTAMs)
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEW])?\s*(?P<d>\d{1,3}(?:\.\d+)?)\s*[°d:\s]?\s*
    (?:(?P<m>\d{1,2}(?:\.\d+)?)\s*['′m:\s]?\s*)?(?:(?P<s>\d{1,2}(?:\.\d+)?)\s*(?:["″s]|'')?\s*)?
    (?P<h2>[NSEW])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PACKED = re.compile(r"^(?P<d>\d{2,3})(?P<m>\d{2})(?P<s>\d{2}(?:\.\d+)?)?(?P<h>[NSEW])$")


def packed(text: str, field: str) -> float:
    """ddmm[ss]H / dddmm[ss]H (ICAO style, e.g. 3612N, 0370630E) to signed degrees."""
    m = _PACKED.match(text.strip().upper())
    if m is None:
        raise ItemError(field, f"{text!r} is not a ddmm[ss]N/dddmm[ss]E coordinate")
    value = int(m["d"]) + int(m["m"]) / 60 + float(m["s"] or 0) / 3600
    return -value if m["h"] in "SW" else value


def degrees(text: str, axis: str, field: str) -> float:
    """Decimal degrees or DMS (with a hemisphere letter) for axis "lat" or "lng"."""
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    if _PACKED.match(t.upper()):
        return packed(t, field)
    m = _DMS.match(t)
    if m is None or (m["h1"] and m["h2"]):
        raise ItemError(field, f"{text!r} is neither decimal degrees nor DMS")
    hemi = (m["h1"] or m["h2"] or "").upper()
    if hemi and (hemi in "NS") != (axis == "lat"):
        raise ItemError(field, f"hemisphere {hemi} does not fit a {axis}")
    value = float(m["d"]) + float(m["m"] or 0) / 60 + float(m["s"] or 0) / 3600
    return -value if hemi in ("S", "W") else value


def from_mgrs(text: str, field: str) -> tuple[float, float]:
    """(lat, lng) of the south-west corner of an MGRS square (1 m at 10 digits)."""
    import mgrs

    try:
        lat, lng = mgrs.MGRS().toLatLon(text.replace(" ", "").upper())
    except Exception:  # the library raises bare errors of several kinds for a bad reference
        raise ItemError(field, f"{text!r} is not an MGRS reference") from None
    return float(lat), float(lng)
