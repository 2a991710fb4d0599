"""Server settings: one frozen object, from the environment (`DECONFLICT_*`) or built in code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import evolve, field, frozen

from deconflict.engine import Rules
from deconflict.geometry import Bounds
from deconflict.tactical import settings as tactical_settings
from deconflict.tactical.settings import TrackSettings

DEFAULT_DB = "sqlite:///deconflict.db"


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    return float(raw) if raw not in (None, "") else default


@frozen
class Config:
    """Everything the service needs to know that is not in the database."""

    db_url: str = DEFAULT_DB
    admin_key: str | None = None
    bounds: Bounds = field(factory=Bounds)  # the defaults live in one place: geometry.Bounds
    rules: Rules = field(factory=Rules)
    # A side that has not acknowledged is escalated at min(opened + deadline, overlap - lead).
    escalation_deadline_s: float = 600.0
    escalation_lead_s: float = 300.0
    escalation_interval_s: float = 1.0
    audit_interval_s: float = 0.5
    # The audit log's signing key: a file holding the C2SP signer key string (made on first
    # start if missing), or None to keep it in the database. The name is the log's origin line.
    log_key_file: str | None = None
    log_name: str | None = None
    event_poll_s: float = 0.25
    # Coarsen disclosed regions to H3 cells of this resolution (None: exact regions).
    h3_resolution: int | None = None
    # Live tracks: separation minima, look-ahead, ageing, re-alerting, batch size.
    tracks: TrackSettings = field(factory=TrackSettings)
    migrate: bool = True
    background: bool = True

    def with_(self, **changes: Any) -> Config:
        return evolve(self, **changes)


def from_env(env: Mapping[str, str] | None = None) -> Config:
    """Settings from `DECONFLICT_*` variables; what is unset keeps its default."""
    env = os.environ if env is None else env
    base = Config()
    h3 = env.get("DECONFLICT_H3_RESOLUTION")
    bounds = Bounds(
        max_vertices=int(_env_float(env, "DECONFLICT_MAX_VERTICES", base.bounds.max_vertices)),
        max_area_m2=_env_float(env, "DECONFLICT_MAX_AREA_KM2", base.bounds.max_area_m2 / 1e6) * 1e6,
        max_duration=timedelta(
            hours=_env_float(
                env, "DECONFLICT_MAX_DURATION_H", base.bounds.max_duration.total_seconds() / 3600
            )
        ),
        max_volumes=int(_env_float(env, "DECONFLICT_MAX_VOLUMES", base.bounds.max_volumes)),
    )
    return Config(
        db_url=env.get("DECONFLICT_DB") or DEFAULT_DB,
        admin_key=env.get("DECONFLICT_ADMIN_KEY") or None,
        bounds=bounds,
        escalation_deadline_s=_env_float(
            env, "DECONFLICT_ESCALATION_DEADLINE_S", base.escalation_deadline_s
        ),
        escalation_lead_s=_env_float(env, "DECONFLICT_ESCALATION_LEAD_S", base.escalation_lead_s),
        escalation_interval_s=_env_float(
            env, "DECONFLICT_ESCALATION_INTERVAL_S", base.escalation_interval_s
        ),
        h3_resolution=int(h3) if h3 else None,
        tracks=tactical_settings.from_env(env),
        migrate=env.get("DECONFLICT_MIGRATE", "1") != "0",
        audit_interval_s=_env_float(env, "DECONFLICT_AUDIT_INTERVAL_S", base.audit_interval_s),
        log_key_file=env.get("DECONFLICT_LOG_KEY_FILE") or None,
        log_name=env.get("DECONFLICT_LOG_NAME") or None,
    )


def to_env(config: Config) -> dict[str, str]:
    """The variables that make `from_env` rebuild `config` in another process (uvicorn workers)."""
    out = {
        "DECONFLICT_DB": config.db_url,
        "DECONFLICT_MAX_VERTICES": str(config.bounds.max_vertices),
        "DECONFLICT_MAX_AREA_KM2": str(config.bounds.max_area_m2 / 1e6),
        "DECONFLICT_MAX_DURATION_H": str(config.bounds.max_duration.total_seconds() / 3600),
        "DECONFLICT_MAX_VOLUMES": str(config.bounds.max_volumes),
        "DECONFLICT_ESCALATION_DEADLINE_S": str(config.escalation_deadline_s),
        "DECONFLICT_ESCALATION_LEAD_S": str(config.escalation_lead_s),
        "DECONFLICT_ESCALATION_INTERVAL_S": str(config.escalation_interval_s),
        "DECONFLICT_MIGRATE": "1" if config.migrate else "0",
        "DECONFLICT_AUDIT_INTERVAL_S": str(config.audit_interval_s),
        **tactical_settings.to_env(config.tracks),
    }
    if config.admin_key:
        out["DECONFLICT_ADMIN_KEY"] = config.admin_key
    if config.h3_resolution is not None:
        out["DECONFLICT_H3_RESOLUTION"] = str(config.h3_resolution)
    if config.log_key_file:
        out["DECONFLICT_LOG_KEY_FILE"] = config.log_key_file
    if config.log_name:
        out["DECONFLICT_LOG_NAME"] = config.log_name
    return out
