#!/usr/bin/env python3
"""Refresh the console's vendored libraries and base map from the npm registry.

Run by hand when a version below changes (needs `npm`); tests and CI never run it, the files
it writes under `src/deconflict/web/vendor/` are committed so the console works offline.

    python3 scripts/vendor_web.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "deconflict" / "web" / "vendor"

# package -> (version, {path inside the package: path under vendor/})
PACKAGES: dict[str, tuple[str, dict[str, str]]] = {
    "leaflet": ("1.9.4", {
        "dist/leaflet.js": "leaflet/leaflet.js",
        "dist/leaflet.css": "leaflet/leaflet.css",
        "dist/images": "leaflet/images",
        "LICENSE": "leaflet/LICENSE",
    }),
    "topojson-client": ("3.1.0", {
        "dist/topojson-client.min.js": "topojson-client/topojson-client.min.js",
        "LICENSE": "topojson-client/LICENSE",
    }),
    # Natural Earth 1:50m country outlines (public domain) as TopoJSON.
    "world-atlas": ("2.0.2", {
        "countries-50m.json": "world-atlas/countries-50m.json",
        "LICENSE": "world-atlas/LICENSE",
    }),
}


def _pack(name: str, version: str, into: Path) -> Path:
    """`npm pack` one package into `into` and unpack it; answers the package folder."""
    out = subprocess.run(
        ["npm", "pack", "--json", f"{name}@{version}"],
        cwd=into, check=True, capture_output=True, text=True,
    )
    tarball = into / json.loads(out.stdout)[0]["filename"]
    target = into / name
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


def main() -> int:
    if shutil.which("npm") is None:
        sys.exit("npm is needed to refresh the vendored files")
    with tempfile.TemporaryDirectory() as tmp:
        lines = ["# Vendored by scripts/vendor_web.py from the npm registry; do not edit.", ""]
        for name, (version, files) in PACKAGES.items():
            package = _pack(name, version, Path(tmp))
            for src, dst in files.items():
                _copy(package / src, VENDOR / dst)
            lines.append(f"- {name}@{version}: {', '.join(files.values())}")
        (VENDOR / "VERSIONS.md").write_text("\n".join(lines) + "\n")
    print(f"vendored into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
