"""Choosing the warehouse backend and the lake's settings from the environment."""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines.deploy import lake
from datalabs_pipelines.warehouse import is_lake, warehouse_database


@pytest.fixture
def lake_env(monkeypatch, tmp_path):
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, "dbname=lake host=db user=datalabs")
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(tmp_path / "lake"))
    return tmp_path


def test_the_embedded_file_is_the_default(monkeypatch, isolated_env):
    monkeypatch.delenv(lake.BACKEND_VARIABLE, raising=False)
    assert warehouse_database() == str(isolated_env / "warehouse.duckdb")
    assert not is_lake(warehouse_database())


def test_ducklake_names_the_postgres_catalog(lake_env):
    database = warehouse_database()
    assert is_lake(database)
    assert database == "ducklake:postgres:dbname=lake host=db user=datalabs"
    assert lake.lake_settings().data_path == f"{lake_env / 'lake'}/"


def test_an_object_storage_data_path_is_kept_as_written(lake_env, monkeypatch):
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, "s3://bucket/lake")
    assert lake.lake_settings().data_path == "s3://bucket/lake/"


def test_an_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "sqlite")
    with pytest.raises(ValueError, match=lake.BACKEND_VARIABLE):
        lake.backend()


def test_missing_lake_settings_name_the_variables(lake_env, monkeypatch):
    monkeypatch.delenv(lake.CATALOG_VARIABLE)
    with pytest.raises(ValueError, match=lake.CATALOG_VARIABLE):
        lake.lake_settings()


def test_a_password_in_the_catalog_dsn_is_refused_without_showing_it(lake_env, monkeypatch):
    monkeypatch.setenv(lake.CATALOG_VARIABLE, "dbname=lake user=datalabs password=hunter2secret")
    with pytest.raises(ValueError, match="PGPASSWORD") as refused:
        lake.lake_settings()
    assert "hunter2secret" not in str(refused.value)


def test_the_extension_packages_match_this_duckdb():
    files = lake.extension_files()
    assert [f.name for f in files] == ["postgres.duckdb_extension", "ducklake.duckdb_extension"]
    assert all(f.parent.name == f"v{duckdb.__version__}" for f in files)


def test_object_storage_adds_the_httpfs_and_aws_extensions_of_this_duckdb():
    files = lake.extension_files(remote=True)
    assert [f.name for f in files][2:] == ["httpfs.duckdb_extension", "aws.duckdb_extension"]
    assert all(f.parent.name == f"v{duckdb.__version__}" for f in files)
