"""Real servers for the production-profile tests, once per session: PostgreSQL (catalog and
instance) and an S3-compatible store (moto's server, for a lake's data on object storage)."""

from __future__ import annotations

import pytest

from datalabs_pipelines_tests.deploy.postgres_server import Server, binaries, postgres_server
from datalabs_pipelines_tests.deploy.s3_server import S3Server, s3_server


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


@pytest.fixture(scope="session")
def s3() -> S3Server:
    with s3_server() as server:
        yield server
