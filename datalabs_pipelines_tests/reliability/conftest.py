"""One uninterrupted run, shared: what every interrupted or repeated run must end up equal to."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pytest

from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines_tests.reliability.pipeline_process import (
    Site,
    deliver_new_file,
    new_site,
    run_in_process,
)


@dataclass(frozen=True)
class Baseline:
    site: Site
    checksums: dict[str, str]


@pytest.fixture(scope="session")
def uninterrupted(tmp_path_factory) -> Baseline:
    """The fixture deliveries plus a new one, materialized once without interruption.

    Treat ``site`` as read-only: copy it before changing anything.
    """
    site = new_site(tmp_path_factory.mktemp("uninterrupted"))
    deliver_new_file(site)
    with dg.DagsterInstance.ephemeral() as instance:
        run_in_process(site, instance)
    return Baseline(site, table_checksums(site.warehouse))
