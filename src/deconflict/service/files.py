"""Files in and out: an import creates (or checks) each operation of a file as its own write,
by the same use cases as the API's; an export writes the caller's own operations, or its
conflicts as it may see them (regions only, from the conflict views)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from deconflict import formats
from deconflict.engine import disclosure
from deconflict.errors import DomainError, InvalidVolume
from deconflict.formats import Feature, operation_features
from deconflict.formats.common import ccw
from deconflict.geometry import parse_volumes
from deconflict.service import checks, conflicts
from deconflict.service import operations as ops
from deconflict.service.context import Principal, Service
from deconflict.service.detection import LOOSE

PAGE = 500
CONFLICT_COLUMNS = ("conflict", "my_operation_id", "my_kind", "other_party", "other_kind")


def import_file(
    svc: Service, who: Principal, fmt: str, body: str | bytes, check: bool = False
) -> dict[str, Any]:
    """Each item of the file created (or, with `check`, checked: those hit are told), each as
    its own write sharing group commits: one refused item is named in `errors`, the rest go in;
    items past the configured `max_batch` are refused, each named."""
    planned, errors = formats.read(fmt, body, svc.config.bounds)
    limit = svc.config.max_batch
    errors += [
        {"item": item, "field": "", "message": f"at most {limit} items per import"}
        for item, _ in planned[limit:]
    ]
    planned = planned[:limit]
    operations: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    if check:
        answers = []
        for _, p in planned:
            try:
                answers.append(checks.check(svc, who, p.kind, p.volumes))
            except DomainError as refused:
                answers.append(ops.error_answer(refused))
    else:
        drafts = [ops.Draft(p.kind, p.volumes, label=p.label) for _, p in planned]
        answers = ops.create_many(svc, who, drafts)
    for (item, _), answer in zip(planned, answers, strict=True):
        if "error" in answer:
            why = answer["error"]
            errors.append({"item": item, "field": why["field"] or "", "message": why["message"]})
            continue
        if "operation" in answer:
            operations.append({"item": item, **answer["operation"]})
        found += [{"item": item, **c} for c in answer["conflicts"]]
    errors.sort(key=lambda e: e["item"])
    return {"operations": operations, "conflicts": found, "errors": errors}


def _pages(lister: Callable[[str | None], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        page = lister(cursor)
        yield from page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


def operation_features_of(svc: Service, who: Principal) -> list[Feature]:
    """The caller's own operations (every state but cancelled), one feature per volume."""
    out = []
    for op in _pages(lambda c: ops.list_(svc, who, PAGE, c)):
        if op["state"] == "cancelled":
            continue
        volumes = parse_volumes(op["volumes"], "volumes", LOOSE)  # checked when stored
        out += operation_features(op["id"], op["kind"], op["label"], volumes)
    return out


def conflict_features_of(svc: Service, who: Principal) -> list[Feature]:
    """The caller's open conflicts as it sees them: each region ring, never the other's volumes."""
    out = []
    for c in _pages(lambda cur: conflicts.list_(svc, who, PAGE, cur, "open")):
        props = disclosure.conflict_export_properties(c)
        for part in c["region"]:
            for ring in part["footprint"]:
                pts = [(p["lng"], p["lat"]) for p in ring]
                if len(pts) > 1 and pts[0] == pts[-1]:
                    pts.pop()
                out.append(
                    Feature(
                        props,
                        tuple(ccw(pts)),
                        None,
                        part["altitude_lower"]["value"],
                        part["altitude_upper"]["value"],
                        part["time_start"]["value"],
                        part["time_end"]["value"],
                    )
                )
    return out


def export(svc: Service, who: Principal, what: str, fmt: str) -> str:
    """`what` is "operations" or "conflicts"; `fmt` one of the writers."""
    if fmt not in formats.WRITERS:
        raise InvalidVolume(
            "invalid_format", f"must be one of {', '.join(formats.WRITERS)}", "format"
        )
    if what == "operations":
        return formats.WRITERS[fmt](operation_features_of(svc, who))
    if fmt == "csv":
        return formats.csv.write(conflict_features_of(svc, who), CONFLICT_COLUMNS)
    return formats.WRITERS[fmt](conflict_features_of(svc, who))
