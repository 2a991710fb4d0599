"""Command line: a thin Typer layer over the package's public functions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from deconflict import auditor
from deconflict.config import DEFAULT_DB, from_env, to_env
from deconflict.engine import Conflict, Operation, Rules, State, VolumeIndex, detect
from deconflict.errors import DomainError, InvalidVolume
from deconflict.formats.operation import KEYS, parse_operation, text
from deconflict.private import cli as private_cli
from deconflict.service import Service, audit
from deconflict.service.audit_check import verify
from deconflict.service.checks import against_store
from deconflict.service.parties import (
    ADMIN,
    create_party,
    ensure_admin_key,
    party_id_named,
    rotate_key,
)
from deconflict.store import migrate

app = typer.Typer(help="deconflict: the deconfliction line as software.", no_args_is_help=True)
console = Console()
FILE_KEYS = KEYS | {"id", "party", "state"}


def load_operations(data: Any) -> list[Operation]:
    """Operations from `{"operations": [{id?, party?, kind, volumes, state?, label?}]}`, each
    checked by the same strict parser as the API's."""
    if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
        raise InvalidVolume("invalid_type", "must be an object with an array", "operations")
    ops = []
    for i, raw in enumerate(data["operations"]):
        path = f"operations[{i}]"
        planned = parse_operation(raw, path, keys=FILE_KEYS)
        state = raw.get("state", "planned")
        if not isinstance(state, str) or state not in {s.value for s in State}:
            raise InvalidVolume("invalid_state", "unknown state", f"{path}.state")
        op_id = text(raw, "id", path, str(i))
        party = text(raw, "party", path)
        ops.append(
            Operation(op_id, party, planned.kind, planned.volumes, State(state), 1, planned.label)
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
    console.print(f"audit log verifier key (publish it): {audit.key(svc)}", soft_wrap=True)
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


@party_app.command("rotate-key")
def party_rotate_key(name: str, db: DbOption = DEFAULT_DB) -> None:
    """Give the party a new key and print it (shown once); the old key is refused at once."""
    svc = _service(db)
    try:
        made = rotate_key(svc, ADMIN, party_id_named(svc, name))
    except DomainError as e:
        console.print(f"[red]error:[/red] {e.field}: {e.message}")
        raise typer.Exit(1) from None
    finally:
        svc.db.dispose()
    console.print(f"party [bold]{made['name']}[/bold] id {made['id']}: old key refused")
    console.print(f"new api key (shown once): [green]{made['api_key']}[/green]")


@audit_app.command("verify")
def audit_verify(db: DbOption = DEFAULT_DB) -> None:
    """Recompute the Merkle tree from the entries and check every stored leaf hash, subtree and
    signed checkpoint; only then add pending entries and sign the grown tree."""
    verdict = verify(_service(db))
    if verdict.ok:
        console.print(
            f"[green]OK[/green]: {verdict.count} entries, {verdict.checkpoints} signed "
            f"checkpoints reproduced; {verdict.signed} pending entries added and signed"
        )
        return
    console.print(f"[red]BROKEN[/red]: {verdict.problem}")
    raise typer.Exit(1)


@audit_app.command("follow")
def audit_follow(
    server: Annotated[str, typer.Option(help="the service's URL")],
    key: Annotated[str, typer.Option(help="your party's API key")],
    state: Annotated[Path, typer.Option(help="your state file (made if missing)")],
    log_key: Annotated[
        str | None, typer.Option(help="the log's verifier key; else pinned on first use")
    ] = None,
    receipts: Annotated[
        Path | None,
        typer.Option(help="a file of audit_index values your systems logged, one a line"),
    ] = None,
) -> None:
    """Check the log's signed checkpoint against your state file: signature, consistency with
    the last one saved, inclusion of every receipt; then save it. No database access."""
    given = [int(w) for w in receipts.read_text().split()] if receipts else []
    log = auditor.Log(server, key)
    try:
        report = auditor.follow(state, log, log_key, given)
    except auditor.Failed as err:
        console.print(f"[red]FAILED[/red]: {err}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        log.close()
    since = "first checkpoint" if report.since is None else f"extends size {report.since}"
    console.print(
        f"[green]OK[/green]: tree of {report.size} entries ({since}); {report.proven} receipts "
        f"proven included, {report.pending} pending, {report.new_receipts} new",
        soft_wrap=True,
    )


@audit_app.command("compare")
def audit_compare(
    first: Path,
    second: Path,
    server: Annotated[str | None, typer.Option(help="to prove the smaller tree a prefix")] = None,
    key: Annotated[str | None, typer.Option(help="an API key, with --server")] = None,
) -> None:
    """Compare two parties' state files: a split view (two histories shown) fails."""
    log = auditor.Log(server, key or "") if server else None
    try:
        console.print(auditor.compare(first, second, log), soft_wrap=True)
    except auditor.Failed as err:
        console.print(f"[red]FAILED[/red]: {err}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        if log is not None:
            log.close()


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


def _files() -> None:
    from deconflict import cli_files

    app.command("import")(cli_files.import_file)
    app.command("export")(cli_files.export)


_files()

if __name__ == "__main__":
    app()
