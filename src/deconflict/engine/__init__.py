"""The pure conflict engine: rules, spatial-temporal index, detection and disclosure. No I/O."""

from deconflict.engine.detect import conflicts_between, detect, detect_many
from deconflict.engine.index import ALL_LEVELS, key_levels, query_key_ranges, query_keys, volume_key
from deconflict.engine.model import Conflict, Kind, Operation, State
from deconflict.engine.rules import DEFAULT_PAIRS, Rules, Separation
from deconflict.engine.store import VolumeIndex

__all__ = [
    "ALL_LEVELS",
    "DEFAULT_PAIRS",
    "Conflict",
    "Kind",
    "Operation",
    "Rules",
    "Separation",
    "State",
    "VolumeIndex",
    "conflicts_between",
    "detect",
    "detect_many",
    "key_levels",
    "query_key_ranges",
    "query_keys",
    "volume_key",
]
