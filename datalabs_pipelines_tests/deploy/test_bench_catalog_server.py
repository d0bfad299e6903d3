"""The parallel bench finds the lake catalog's PostgreSQL server to sample its CPU."""

from __future__ import annotations

from datalabs_pipelines.bench.parallel import catalog_server_pid


def test_the_catalog_server_is_the_postmaster_of_a_local_server(postgres):
    postmaster = int((postgres.folder / "data" / "postmaster.pid").read_text().split()[0])
    assert catalog_server_pid(postgres.dsn("postgres")) == postmaster


def test_an_unreachable_catalog_is_not_sampled():
    assert catalog_server_pid("dbname=postgres host=127.0.0.1 port=1 connect_timeout=2") is None
