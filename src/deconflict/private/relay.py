"""The relay as the client sees it: one HTTP client, blobs in and out, errors translated here."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx

from deconflict.errors import DomainError

PARTY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class RelayError(DomainError):
    """The relay refused a request, or could not be reached."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message, field)
        self.status = status


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _bytes(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


class Relay:
    """Calls to the service's /v1/private routes with the party's API key."""

    def __init__(self, server: str, key: str, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(base_url=server, timeout=60.0)
        self.headers = {"Authorization": f"Bearer {key}"}

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            r = self.http.request(method, path, json=body, headers=self.headers)
        except httpx.HTTPError as e:
            raise RelayError(0, "unreachable", str(e)) from None
        if r.status_code >= 400:
            err = (
                r.json().get("error", {})
                if r.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            raise RelayError(
                r.status_code, err.get("code", "http"), err.get("message", r.text), err.get("field")
            )
        return r.json()

    def _maybe(self, path: str) -> Any:
        try:
            return self._call("GET", path)
        except RelayError as e:
            if e.status == 404:
                return None
            raise

    def me(self) -> str:
        return str(self._call("GET", "/v1/parties/me")["id"])

    def publish_key(self, key: bytes) -> None:
        self._call("PUT", "/v1/private/key", {"public_key": _b64(key)})

    def parties(self) -> list[tuple[str, str, bytes]]:
        """(id, name, public key) of every other private party."""
        out = []
        for p in self._call("GET", "/v1/private/parties"):
            if not PARTY_ID.match(str(p["id"])):
                raise RelayError(0, "invalid_party", "the relay sent a malformed party id")
            out.append((str(p["id"]), str(p["name"]), _bytes(p["public_key"])))
        return out

    def put_set(self, peer: str, points: bytes) -> int:
        return int(self._call("PUT", f"/v1/private/sets/{peer}", {"points": _b64(points)})["round"])

    def get_set(self, peer: str) -> tuple[int, bytes] | None:
        got = self._maybe(f"/v1/private/sets/{peer}")
        return None if got is None else (int(got["round"]), _bytes(got["points"]))

    def put_reblinded(self, peer: str, round_: int, points: bytes) -> None:
        body = {"round": round_, "points": _b64(points)}
        self._call("PUT", f"/v1/private/reblinded/{peer}", body)

    def get_reblinded(self, peer: str) -> tuple[int, bytes] | None:
        got = self._maybe(f"/v1/private/reblinded/{peer}")
        return None if got is None else (int(got["round"]), _bytes(got["points"]))

    def put_refinement(self, peer: str, sealed: bytes) -> None:
        self._call("PUT", f"/v1/private/refinements/{peer}", {"sealed": _b64(sealed)})

    def get_refinement(self, peer: str) -> bytes | None:
        got = self._maybe(f"/v1/private/refinements/{peer}")
        return None if got is None else _bytes(got["sealed"])

    def report(self, peer: str, ref: str, status: str, sealed: bytes | None) -> dict[str, Any]:
        body = {"counterpart": peer, "ref": ref, "status": status}
        if sealed is not None:
            body["sealed"] = _b64(sealed)
        got: dict[str, Any] = self._call("POST", "/v1/private/conflicts", body)
        return got
