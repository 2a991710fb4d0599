"""`deconflict import` and `deconflict export`: files to and from a running service over HTTP.

An import is read and checked here first (the same readers and strict parser as the server's),
then sent in chunks as GeoJSON so a long file shows its progress; the server checks it again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress

from deconflict import formats
from deconflict.errors import DomainError
from deconflict.formats import operation_features

CHUNK = 100
console = Console()
Server = Annotated[str, typer.Option("--server", help="the service, e.g. http://127.0.0.1:8000")]
Key = Annotated[str, typer.Option("--key", envvar="DECONFLICT_KEY", help="your party's API key")]


def _format_of(file: Path, given: str | None) -> str:
    fmt = given or formats.EXTENSIONS.get(file.suffix.lower())
    if fmt not in formats.READERS:
        console.print(f"[red]error:[/red] give --format ({', '.join(formats.READERS)})")
        raise typer.Exit(2)
    return fmt


def _post(client: httpx.Client, body: str, check: bool) -> dict[str, Any]:
    r = client.post("/v1/imports", params={"format": "geojson", "check": check}, content=body)
    if r.status_code != 200:
        console.print(f"[red]error:[/red] {r.status_code} {r.text}")
        raise typer.Exit(1)
    answer: dict[str, Any] = r.json()
    return answer


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    server: Server,
    key: Key,
    fmt: Annotated[str | None, typer.Option("--format", help="default: from the extension")] = None,
    check: Annotated[bool, typer.Option("--check", help="dry run: store nothing")] = False,
) -> None:
    """Import a GeoJSON, KML, CSV, NOTAM or ED-269 file: each item becomes an operation of
    yours (or, with --check, is checked); refused items are listed and the rest go in."""
    try:
        planned, errors = formats.read(_format_of(file, fmt), file.read_bytes())
    except DomainError as e:
        console.print(f"[red]error:[/red] {e.field}: {e.message}")
        raise typer.Exit(2) from None
    made = hits = 0
    headers = {"Authorization": f"Bearer {key}"}
    with (
        httpx.Client(base_url=server, headers=headers, timeout=120) as client,
        Progress(console=console) as bar,
    ):
        task = bar.add_task("importing" if not check else "checking", total=len(planned))
        for at in range(0, len(planned), CHUNK):
            chunk = planned[at : at + CHUNK]
            features, origin = [], []  # the file's item number of each feature sent
            for item, p in chunk:
                mine = operation_features(f"item-{item}", p.kind.value, p.label, p.volumes)
                features += mine
                origin += [item] * len(mine)
            answer = _post(client, formats.WRITERS["geojson"](features), check)
            made += len(answer["operations"])
            hits += len(answer["conflicts"])
            errors += [{**x, "item": origin[x["item"]]} for x in answer["errors"]]
            bar.advance(task, len(chunk))
    for x in sorted(errors, key=lambda x: x["item"]):
        console.print(f"[yellow]item {x['item']}[/yellow] {x['field']}: {x['message']}")
    verb = "checked" if check else "created"
    console.print(
        f"{made if not check else len(planned)} {verb}, {hits} conflicts, {len(errors)} refused"
    )
    if errors:
        raise typer.Exit(1)


def export(
    what: Annotated[str, typer.Argument(help="operations or conflicts")],
    server: Server,
    key: Key,
    fmt: Annotated[str, typer.Option("--format", help="geojson, kml or csv")] = "geojson",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Export your operations, or your conflicts (regions only), as GeoJSON, KML or CSV."""
    if what not in ("operations", "conflicts") or fmt not in formats.WRITERS:
        console.print("[red]error:[/red] operations|conflicts, --format geojson|kml|csv")
        raise typer.Exit(2)
    r = httpx.get(
        f"{server}/v1/exports/{what}.{fmt}", headers={"Authorization": f"Bearer {key}"}, timeout=120
    )
    if r.status_code != 200:
        console.print(f"[red]error:[/red] {r.status_code} {r.text}")
        raise typer.Exit(1)
    if output is None:
        typer.echo(r.text, nl=False)
    else:
        output.write_text(r.text)
        console.print(f"{what} written to {output}")
