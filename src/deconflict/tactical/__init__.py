"""Tactical deconfliction: conflicts between live tracks by closest point of approach."""

from deconflict.tactical.detector import Detection, detect

__all__ = ["Detection", "detect"]
