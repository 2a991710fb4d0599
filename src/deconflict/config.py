"""Server settings: one frozen object, from the environment (`DECONFLICT_*`) or built in code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import evolve, field, frozen

from deconflict.engine import Rules
from deconflict.geometry import Bounds
from deconflict.limits import Limits, Retention, limits_from_env, retention_from_env
from deconflict.limits import to_env as limits_to_env
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
    # Event streams wake on a notification (this worker's commits; LISTEN/NOTIFY from others);
    # this poll is only the safety net against a lost one.
    event_poll_s: float = 5.0
    # Request bodies over this many bytes are refused (413) before they are parsed.
    max_body_bytes: int = 1 << 20
    # The audit log's signing key: a file holding the C2SP signer key string (made on first
    # start if missing), or None to keep it in the database. The name is the log's origin line.
    log_key_file: str | None = None
    log_name: str | None = None
    # Coarsen disclosed regions to H3 cells of this resolution (None: exact regions).
    h3_resolution: int | None = None
    # Live tracks: separation minima, look-ahead, ageing, re-alerting, batch size.
    tracks: TrackSettings = field(factory=TrackSettings)
    # Operations one batch or file import may create (POST /v1/operations/batch, /v1/imports).
    max_batch: int = 1_000
    # Abuse limits (rates per route class, probe budget, streams) and retention windows.
    limits: Limits = field(factory=Limits)
    retention: Retention = field(factory=Retention)
    # The key that seals cursors and derives opaque ids (None: generated once, kept in the
    # database, so every worker shares it).
    cursor_secret: str | None = None
    # Budgets of area x duration (km² x h, see service.costs): per request, per party per hour.
    budget_request_km2h: float = 1e8
    budget_hour_km2h: float = 1e9
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
        event_poll_s=_env_float(env, "DECONFLICT_EVENT_POLL_S", base.event_poll_s),
        max_body_bytes=int(_env_float(env, "DECONFLICT_MAX_BODY_BYTES", base.max_body_bytes)),
        h3_resolution=int(h3) if h3 else None,
        max_batch=int(_env_float(env, "DECONFLICT_MAX_BATCH", base.max_batch)),
        budget_request_km2h=_env_float(
            env, "DECONFLICT_BUDGET_REQUEST_KM2H", base.budget_request_km2h
        ),
        budget_hour_km2h=_env_float(env, "DECONFLICT_BUDGET_HOUR_KM2H", base.budget_hour_km2h),
        tracks=tactical_settings.from_env(env),
        limits=limits_from_env(env),
        retention=retention_from_env(env),
        cursor_secret=env.get("DECONFLICT_CURSOR_SECRET") or None,
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
        "DECONFLICT_MAX_BATCH": str(config.max_batch),
        "DECONFLICT_BUDGET_REQUEST_KM2H": str(config.budget_request_km2h),
        "DECONFLICT_BUDGET_HOUR_KM2H": str(config.budget_hour_km2h),
        "DECONFLICT_EVENT_POLL_S": str(config.event_poll_s),
        "DECONFLICT_MAX_BODY_BYTES": str(config.max_body_bytes),
        "DECONFLICT_MIGRATE": "1" if config.migrate else "0",
        "DECONFLICT_AUDIT_INTERVAL_S": str(config.audit_interval_s),
        **tactical_settings.to_env(config.tracks),
        **limits_to_env(config.limits, config.retention),
    }
    if config.admin_key:
        out["DECONFLICT_ADMIN_KEY"] = config.admin_key
    if config.cursor_secret:
        out["DECONFLICT_CURSOR_SECRET"] = config.cursor_secret
    if config.h3_resolution is not None:
        out["DECONFLICT_H3_RESOLUTION"] = str(config.h3_resolution)
    if config.log_key_file:
        out["DECONFLICT_LOG_KEY_FILE"] = config.log_key_file
    if config.log_name:
        out["DECONFLICT_LOG_NAME"] = config.log_name
    return out
