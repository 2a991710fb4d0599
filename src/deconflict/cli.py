"""Command line: a thin Typer layer over the package's public functions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from deconflict.config import DEFAULT_DB, from_env, to_env
from deconflict.engine import Conflict, Kind, Operation, Rules, State, VolumeIndex, detect
from deconflict.errors import DomainError, InvalidVolume
from deconflict.geometry import parse_volumes
from deconflict.private import cli as private_cli
from deconflict.service import Service
from deconflict.service.audit import verify
from deconflict.service.checks import against_store
from deconflict.service.parties import ADMIN, create_party, ensure_admin_key
from deconflict.store import migrate

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
            kind = Kind(str(raw.get("kind")))
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


def _read_operations(file: Path) -> list[Operation]:
    try:
        return load_operations(json.loads(file.read_text()))
    except json.JSONDecodeError as e:
        console.print(f"[red]error:[/red] {file}: not JSON ({e})")
        raise typer.Exit(2) from None
    except DomainError as e:
        console.print(f"[red]error:[/red] {e.field}: {e.message}")
        raise typer.Exit(2) from None


def _conflict_table(title: str, found: list[Conflict]) -> Table:
    table = Table(title=title)
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
    for c in found:
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
    return table


def _within(ops: list[Operation]) -> list[Conflict]:
    """Each conflicting pair of the file's operations, once."""
    index, rules, seen, out = VolumeIndex(), Rules(), set(), []
    for op in ops:
        index.upsert(op)
    for op in ops:
        for c in detect(op, index, rules):
            if c.key not in seen:
                seen.add(c.key)
                out.append(c)
    return out


@app.command()
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="check against the live operations stored here instead of each other"
        ),
    ] = None,
) -> None:
    """Check a JSON file of operations and print the conflicts as a table: against each other,
    or (--db) against the operations stored in a database, offline (nothing is written)."""
    ops = _read_operations(file)
    if db is None:
        found = _within(ops)
        title = f"Conflicts in {file.name}"
    else:
        found = against_store(_service(db), ops)
        title = f"Conflicts of {file.name} with the stored operations"
    console.print(_conflict_table(title, found))
    console.print(f"{len(ops)} operations, {len(found)} conflicts")


@app.callback()
def main() -> None:
    """deconflict: the deconfliction line as software."""


DbOption = Annotated[str, typer.Option("--db", help="sqlite:///path or postgresql+psycopg://...")]
party_app = typer.Typer(help="Parties.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(party_app, name="party")
app.add_typer(audit_app, name="audit")
app.add_typer(private_cli.app, name="private")


def _service(db: str) -> Service:
    svc = Service(from_env().with_(db_url=db))
    migrate(svc.db)
    return svc


def _print_admin_key(svc: Service) -> None:
    key = ensure_admin_key(svc)
    if key:
        console.print(f"[bold]admin key[/bold] (shown once, stored hashed): [green]{key}[/green]")


@app.command()
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Run the service (migrates the database first). Several workers need PostgreSQL."""
    import uvicorn

    if workers > 1 and not db.startswith("postgresql"):
        console.print("[red]error:[/red] --workers > 1 needs a PostgreSQL --db")
        raise typer.Exit(2)
    svc = _service(db)
    _print_admin_key(svc)
    svc.db.dispose()
    # Workers are separate processes: hand them the settings through the environment.
    os.environ.update(to_env(svc.config.with_(migrate=False)))
    uvicorn.run(
        "deconflict.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@party_app.command("add")
def party_add(name: str, db: DbOption = DEFAULT_DB) -> None:
    """Create a party and print its API key (shown once)."""
    try:
        made = create_party(_service(db), ADMIN, name)
    except DomainError as e:
        console.print(f"[red]error:[/red] {e.field}: {e.message}")
        raise typer.Exit(1) from None
    console.print(f"party [bold]{made['name']}[/bold] id {made['id']}")
    console.print(f"api key (shown once): [green]{made['api_key']}[/green]")


@audit_app.command("verify")
def audit_verify(db: DbOption = DEFAULT_DB) -> None:
    """Chain pending entries, then check every link of the audit log's hash chain."""
    verdict = verify(_service(db))
    if verdict.ok:
        console.print(f"[green]OK[/green]: {verdict.count} entries, chain intact")
        return
    console.print(
        f"[red]BROKEN[/red] at position {verdict.broken_position} "
        f"({verdict.count} entries verified before it)"
    )
    raise typer.Exit(1)


@app.command()
def demo(
    port: Annotated[int, typer.Option()] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", "--check", help="load the scenario and exit")
    ] = False,
    no_traffic: Annotated[
        bool, typer.Option("--no-traffic", help="serve without simulated live tracks")
    ] = False,
) -> None:
    """The service on SQLite in a temporary folder with three parties over one city."""
    import tempfile

    import uvicorn

    from deconflict.api import create_app
    from deconflict.demo import load, start_traffic

    with tempfile.TemporaryDirectory(prefix="deconflict-demo-") as folder:
        config = from_env().with_(db_url=f"sqlite:///{Path(folder) / 'demo.db'}")
        svc = Service(config)
        migrate(svc.db)
        _print_admin_key(svc)
        keys = load(svc)
        table = Table(title="Demo parties (keys shown once)")
        table.add_column("party")
        table.add_column("api key")
        for name, key in keys.items():
            table.add_row(name, key)
        console.print(table)
        conflicts = sum(len(c["items"]) for c in _conflict_lists(svc, keys))
        console.print(f"{conflicts} conflict sides open; console: http://127.0.0.1:{port}/")
        svc.db.dispose()
        if no_serve:
            return
        if not no_traffic:  # aircraft report through the HTTP API once it answers
            start_traffic(svc, keys, f"http://127.0.0.1:{port}")
        uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")


def _conflict_lists(svc: Service, keys: dict[str, str]) -> list[dict[str, Any]]:
    from deconflict.service import conflicts
    from deconflict.service.parties import authenticate

    return [conflicts.list_(svc, authenticate(svc, k), 500, None) for k in keys.values()]


if __name__ == "__main__":
    app()
