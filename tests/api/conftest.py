"""The app in process (FastAPI's TestClient) on a fresh SQLite file, admin key `adm`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api import create_app
from deconflict.config import Config


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Config(db_url=f"sqlite:///{tmp_path / 'api.db'}", admin_key="adm"))
    with TestClient(app) as c:
        yield c
