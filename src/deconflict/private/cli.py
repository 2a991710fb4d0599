"""`deconflict private ...`: private matching from the command line, a thin layer over
`deconflict.private.rounds`. Secrets and the plan stay in the --state folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from deconflict.errors import DomainError
from deconflict.private.relay import Relay
from deconflict.private.rounds import Client, PeerReport, local_conflicts, submit, sync
from deconflict.private.seal import fingerprint
from deconflict.private.state import Folder, load_plan

app = typer.Typer(help="Private matching: no trusted host.", no_args_is_help=True)
console = Console()

Server = Annotated[str, typer.Option("--server", help="the service, e.g. http://127.0.0.1:8000")]
Key = Annotated[str, typer.Option("--key", envvar="DECONFLICT_KEY", help="the party's API key")]
StateDir = Annotated[
    Path, typer.Option("--state", help="local folder for keys, plan and rounds (keep it secret)")
]


def _fail(e: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {e.field + ': ' if e.field else ''}{e.message}")
    return typer.Exit(1)


def _reports(title: str, reports: list[PeerReport]) -> None:
    table = Table(title=title)
    for col in (
        "party",
        "published",
        "re-blinded",
        "shared cells",
        "refined",
        "opened",
        "resolved",
    ):
        table.add_column(col)
    for r in reports:
        shared = "-" if r.shared is None else str(r.shared)
        table.add_row(
            r.name, str(r.published), str(r.reblinded), shared, str(r.refined),
            str(r.opened), str(r.resolved),
        )  # fmt: skip
    console.print(table)


@app.command("submit")
def submit_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    server: Server,
    key: Key,
    state: StateDir,
) -> None:
    """Cover the plan's volumes with cells, blind them and publish them to every other private
    party; the plan itself stays in --state."""
    relay = Relay(server, key)
    try:
        ops = load_plan(json.loads(file.read_text()))
        folder = Folder(state)
        reports = submit(Client(folder, relay), ops)
    except json.JSONDecodeError as e:
        console.print(f"[red]error:[/red] {file}: not JSON ({e})")
        raise typer.Exit(2) from None
    except DomainError as e:
        raise _fail(e) from None
    finally:
        relay.close()
    console.print(
        f"{len(ops)} operations; key fingerprint {fingerprint(folder.identity().public_key)}"
    )
    _reports("Published", reports)


@app.command("sync")
def sync_cmd(
    server: Server,
    key: Key,
    state: StateDir,
    passes: Annotated[int, typer.Option("--passes", min=1, max=10)] = 1,
) -> None:
    """Run the rounds with every other private party: re-blind, intersect, refine, and open or
    resolve the conflicts found."""
    client = Client(Folder(state), Relay(server, key))
    try:
        for _ in range(passes):
            reports = sync(client)
    except DomainError as e:
        raise _fail(e) from None
    finally:
        client.relay.close()
    _reports("Rounds", reports)


def _geojson(conflicts: list[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for c in conflicts:
        for r in c.get("regions", []):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiPolygon",
                        "coordinates": [
                            [[[p["lng"], p["lat"]] for p in ring]] for ring in r["footprint"]
                        ],
                    },
                    "properties": {
                        "status": c["status"],
                        "other_party": c["other_party"],
                        "my_operation": c["my_operation"],
                        "altitude_lower_m": r["altitude_lower"]["value"],
                        "altitude_upper_m": r["altitude_upper"]["value"],
                        "time_start": r["time_start"]["value"],
                        "time_end": r["time_end"]["value"],
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


@app.command("conflicts")
def conflicts_cmd(
    state: StateDir,
    geojson: Annotated[bool, typer.Option("--geojson", help="print GeoJSON instead")] = False,
) -> None:
    """The private conflicts, decrypted, as a table (or GeoJSON)."""
    found = local_conflicts(Folder(state))
    if geojson:
        print(orjson.dumps(_geojson(found)).decode())
        return
    table = Table(title="Private conflicts")
    for col in ("status", "other party", "my operation", "my kind", "other kind", "altitudes (m)",
                "window (UTC)"):  # fmt: skip
        table.add_column(col)
    for c in found:
        if c.get("probe"):
            table.add_row(c["status"], c["other_party"], "PROBE", "-", "-", "-",
                          f"{c['cells']} cells matched with no volume behind them")  # fmt: skip
            continue
        r = c["regions"][0]
        table.add_row(
            c["status"], c["other_party"], c["my_operation"], c["my_kind"], c["other_kind"],
            f"{r['altitude_lower']['value']:.0f}–{r['altitude_upper']['value']:.0f}",
            f"{r['time_start']['value']} – {r['time_end']['value']}",
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(found)} private conflicts")
