"""Schemathesis drives every documented operation from /openapi.json through the app in process
(as a party with a real key): no answer is a 5xx, every 4xx is `{"error": {"code", "message"}}`,
every status and body is one the schema documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from samples import circle
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deconflict.api import create_app
from deconflict.config import Config

ADMIN = "schema-admin"
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    db = tmp_path_factory.mktemp("schema") / "api.db"
    app = create_app(Config(db_url=f"sqlite:///{db}", admin_key=ADMIN, background=False))
    with TestClient(app):  # run the lifespan once: migrate, store the admin key's digest
        pass
    yield app


@pytest.fixture(scope="module")
def party_key(app: FastAPI) -> str:
    with TestClient(app) as client:
        r = client.post(
            "/v1/parties", json={"name": "Schema"}, headers={"Authorization": f"Bearer {ADMIN}"}
        )
        assert r.status_code == 201
        key: str = r.json()["api_key"]
        return key


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def documented() -> list[tuple[str, str]]:
    """(method, path) of every documented operation; building the app touches no database."""
    paths = create_app(Config(db_url="sqlite://")).openapi()["paths"]
    return [(m.upper(), p) for p, item in paths.items() for m in item if p != "/v1/events"]


# The event stream (/v1/events) never ends by design; it has its own end-to-end tests.
@pytest.mark.parametrize(("method", "path"), documented())
def test_every_operation_answers_as_documented(
    api: Any, party_key: str, method: str, path: str
) -> None:
    operation = api[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {party_key}"})
        case.validate_response(response, checks=CHECKS)
        assert response.status_code < 500
        if 400 <= response.status_code < 500:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and error["code"]
            assert isinstance(error["message"], str) and error["message"]

    answers()


def test_a_write_with_conflicts_answers_as_documented(app: FastAPI, api: Any) -> None:
    """Random bodies are refused (422), so one valid conflicting write is checked by hand: the
    write path sends the service's answer without re-validating it, this proves its shape."""
    operation = api["/v1/operations"]["POST"]
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        keys = [
            client.post("/v1/parties", json={"name": n}, headers=admin).json()["api_key"]
            for n in ("Left", "Right")
        ]
    answers = []
    for key in keys:
        case = operation.Case(
            body={"kind": "flight", "volumes": [circle()], "label": "x"},
            headers={"Authorization": f"Bearer {key}"},
        )
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        answers.append(response.json())
    assert answers[0]["conflicts"] == [] and len(answers[1]["conflicts"]) == 1
