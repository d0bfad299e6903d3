"""A real PostgreSQL server for the production-profile tests, once per session."""

from __future__ import annotations

import pytest

from datalabs_pipelines_tests.deploy.postgres_server import Server, binaries, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Server:
    folder = binaries()
    if folder is None:
        pytest.skip(
            "PostgreSQL is not installed (initdb not found): `apt-get install -y postgresql`, "
            "as .ci/run does"
        )
    with postgres_server(folder) as server:
        yield server
