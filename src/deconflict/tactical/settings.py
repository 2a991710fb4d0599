"""Settings of live-track handling: separation minima, look-ahead, ageing, re-alerting, limits."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import asdict, frozen

_ENV = "DECONFLICT_TACTICAL_"


@frozen
class TrackSettings:
    """Defaults as DESIGN.md: 5 NM, 1,000 ft, 300 s (common en-route practice, BlueSky's)."""

    h_sep_m: float = 9260.0
    v_sep_m: float = 304.8
    lookahead_s: float = 300.0
    stale_s: float = 60.0  # a state older than this is ignored and later deleted
    realert_s: float = 15.0  # an unchanged tactical conflict is told again after this long
    max_batch: int = 1000  # states per POST /v1/tracks
    max_batch_bytes: int = 512 * 1024  # body bytes per POST /v1/tracks (refused unparsed: 413)
    max_future_s: float = 5.0  # clock skew tolerated on a state's time
    # Above any aircraft in service (Mach 3 at altitude is about 900 m/s): a faster state, or a
    # jump between two states of one aircraft implying it, is fabricated or broken, and refused.
    max_speed_mps: float = 1000.0
    jump_slack_m: float = 500.0  # position noise allowed on top of max speed × elapsed time


def from_env(env: Mapping[str, str]) -> TrackSettings:
    """`DECONFLICT_TACTICAL_<FIELD>` (e.g. `DECONFLICT_TACTICAL_STALE_S=30`); unset: default."""
    base = asdict(TrackSettings())
    values = {
        name: type(default)(float(env[_ENV + name.upper()]))
        for name, default in base.items()
        if env.get(_ENV + name.upper())
    }
    return TrackSettings(**values)


def to_env(settings: TrackSettings) -> dict[str, str]:
    """The variables that make :func:`from_env` rebuild `settings` (uvicorn workers)."""
    return {_ENV + name.upper(): str(value) for name, value in asdict(settings).items()}
