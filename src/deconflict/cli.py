"""Command line: a thin Typer layer over the package's public functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from deconflict.engine import Kind, Operation, Rules, State, VolumeIndex, detect
from deconflict.errors import DomainError, InvalidVolume
from deconflict.geometry import parse_volumes

app = typer.Typer(help="deconflict: the deconfliction line as software.", no_args_is_help=True)
console = Console()


def load_operations(data: Any) -> list[Operation]:
    """Operations from `{"operations": [{id, party, kind, volumes, state?, label?}]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
        raise InvalidVolume("invalid_type", "must be an object with an array", "operations")
    ops = []
    for i, raw in enumerate(data["operations"]):
        path = f"operations[{i}]"
        if not isinstance(raw, dict):
            raise InvalidVolume("invalid_type", "must be an object", path)
        try:
            kind = Kind(raw.get("kind"))
        except ValueError:
            raise InvalidVolume(
                "invalid_kind", "must be flight, hazard or presence", f"{path}.kind"
            ) from None
        try:
            state = State(raw.get("state", "planned"))
        except ValueError:
            raise InvalidVolume("invalid_state", "unknown state", f"{path}.state") from None
        volumes = parse_volumes(raw.get("volumes"), f"{path}.volumes")
        op_id = str(raw.get("id", i))
        ops.append(
            Operation(
                op_id, str(raw.get("party", "")), kind, volumes, state, 1, str(raw.get("label", ""))
            )
        )
    return ops


@app.command()
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Check a JSON file of operations against each other and print the conflicts as a table."""
    try:
        ops = load_operations(json.loads(file.read_text()))
    except json.JSONDecodeError as e:
        console.print(f"[red]error:[/red] {file}: not JSON ({e})")
        raise typer.Exit(2) from None
    except DomainError as e:
        console.print(f"[red]error:[/red] {e.field}: {e.message}")
        raise typer.Exit(2) from None
    index, rules, seen = VolumeIndex(), Rules(), set()
    table = Table(title=f"Conflicts in {file.name}")
    for col in (
        "operation",
        "party",
        "kind",
        "other operation",
        "other party",
        "other kind",
        "altitudes (m)",
        "window (UTC)",
    ):
        table.add_column(col)
    for op in ops:
        index.upsert(op)
    for op in ops:
        for c in detect(op, index, rules):
            if c.key in seen:
                continue
            seen.add(c.key)
            r = c.regions[0]
            table.add_row(
                c.a_operation,
                c.a_party,
                c.a_kind.value,
                c.b_operation,
                c.b_party,
                c.b_kind.value,
                f"{r.alt_lower_m:.0f}–{r.alt_upper_m:.0f}",
                f"{r.time_start:%Y-%m-%d %H:%M}–{r.time_end:%H:%M}",
            )
    console.print(table)
    console.print(f"{len(ops)} operations, {len(seen)} conflicts")


@app.callback()
def main() -> None:
    """deconflict: the deconfliction line as software."""


@app.command()
def demo() -> None:
    """Run the demo scenario (three parties over one city) through the conflict engine."""
    check(Path(__file__).parent / "data" / "city.json")
