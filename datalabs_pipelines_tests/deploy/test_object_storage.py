"""The lake's data on S3-compatible object storage: a real store (moto's server, checking
signatures) and a real PostgreSQL catalog; credentials only in the environment."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from datalabs_pipelines.deploy import lake, object_storage
from datalabs_pipelines.quality.expectations import evaluate
from datalabs_pipelines.warehouse import warehouse_resource
from datalabs_pipelines_tests.deploy.s3_server import BUCKET
from datalabs_pipelines_tests.quality.test_expectations import contract

ROWS = 1000  # past DuckLake's inlining of small inserts into the catalog: a Parquet file
_lakes = itertools.count()


@pytest.fixture
def s3_lake(postgres, s3, monkeypatch) -> str:
    """The environment of a new lake: its catalog a new database, its data under a prefix of
    its own in the bucket, the store's endpoint and key. The prefix."""
    name = f"s3_lake_{next(_lakes)}"
    postgres.create_database(name)
    for variable, value in s3.env().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn(name))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, f"s3://{BUCKET}/{name}")
    return name


def numbers(rows: int = ROWS) -> str:
    return f"CREATE TABLE raw.numbers AS SELECT range AS i FROM range({rows})"


def test_the_lake_keeps_its_tables_as_parquet_in_the_bucket(s3, s3_lake):
    warehouse = warehouse_resource()
    with warehouse.get_connection() as con:
        con.execute(numbers())
    with warehouse.get_connection() as con:  # a new DuckDB: the rows come back from the bucket
        assert con.execute("SELECT count(*), sum(i) FROM raw.numbers").fetchone() == (
            ROWS,
            ROWS * (ROWS - 1) // 2,
        )
        (shown,) = con.execute("SELECT secret_string FROM duckdb_secrets()").fetchone()
    keys = s3.keys(f"{s3_lake}/raw/numbers/")
    assert keys and all(key.endswith(".parquet") for key in keys)
    assert "secret=redacted" in shown and s3.secret_key not in shown


def test_great_expectations_validates_a_lake_table_on_s3(s3_lake):
    with warehouse_resource().get_connection() as con:
        con.execute(
            "CREATE TABLE staging.spells AS SELECT 'r' || i AS record_id, "
            "CASE WHEN i = 3 THEN 'X' ELSE 'F' END AS sex, i * 10.0 AS amount "
            f"FROM range({ROWS}) t(i)"
        )
    checks = contract(
        [
            {"type": "in_set", "column": "sex", "values": ["F", "M"]},
            {"type": "between", "column": "amount", "min": 0, "max": 10 * ROWS},
            {"type": "row_count", "min": 1},
        ]
    )
    for _ in range(2):  # the first evaluation adds the datasource; the second reconnects
        in_set, between, row_count = evaluate(
            lake.lake_settings().database, "staging.spells", checks
        )
        assert (in_set.passed, in_set.unexpected_count, in_set.sample_keys) == (False, 1, ["r3"])
        assert between.passed and row_count.passed


def test_a_wrong_secret_key_is_refused_clearly_and_never_shown(s3, s3_lake, monkeypatch, caplog):
    warehouse = warehouse_resource()
    with warehouse.get_connection() as con:
        con.execute(numbers())
    wrong = "wrong-" + s3.secret_key
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    with pytest.raises(duckdb.HTTPException) as refused, warehouse.get_connection() as con:
        con.execute("SELECT sum(i) FROM raw.numbers").fetchone()
    message = str(refused.value)
    assert "403" in message and "SignatureDoesNotMatch" in message
    for secret in (wrong, s3.secret_key):
        assert secret not in message and secret not in caplog.text


def test_the_secret_statement_names_the_store_never_a_key(s3, s3_lake):
    statement = object_storage.secret_statement(lake.lake_settings().data_path)
    assert "PROVIDER credential_chain" in statement
    assert f"SCOPE 's3://{BUCKET}/{s3_lake}/'" in statement
    assert "ENDPOINT '127.0.0.1:" in statement and "USE_SSL false" in statement
    assert s3.secret_key not in statement and s3.key_id not in statement


def test_a_lake_on_object_storage_needs_a_region(s3_lake, monkeypatch):
    """Else the AWS SDK would ask the cloud's instance-metadata address for one."""
    monkeypatch.delenv(object_storage.REGION_VARIABLE)
    with pytest.raises(ValueError, match=object_storage.REGION_VARIABLE):
        object_storage.secret_statement(lake.lake_settings().data_path)


def test_a_lake_in_a_local_folder_loads_no_object_storage_extension(
    postgres, tmp_path, monkeypatch
):
    postgres.create_database("local_folder_lake")
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn("local_folder_lake"))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(tmp_path / "lake"))
    with warehouse_resource().get_connection() as con:
        loaded = {
            name
            for (name,) in con.execute(
                "SELECT extension_name FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        }
        (secrets,) = con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone()
    assert "ducklake" in loaded
    assert not loaded & set(object_storage.EXTENSIONS)
    assert secrets == 0


@pytest.mark.parametrize(
    ("endpoint", "host", "use_ssl"),
    [
        ("minio:9000", "'minio:9000'", "true"),
        ("http://minio:9000", "'minio:9000'", "false"),
        ("https://s3.example.org/", "'s3.example.org'", "true"),
    ],
)
def test_a_custom_endpoint_is_reached_by_path_with_tls_unless_http(endpoint, host, use_ssl):
    assert object_storage.endpoint_options(endpoint) == {
        "ENDPOINT": host,
        "URL_STYLE": "'path'",
        "USE_SSL": use_ssl,
        "CHAIN": "'env;config'",
    }


def test_aws_s3_itself_takes_the_whole_credential_chain():
    assert object_storage.endpoint_options("") == {}


def test_an_endpoint_that_is_no_url_is_refused():
    with pytest.raises(ValueError, match=object_storage.ENDPOINT_VARIABLE):
        object_storage.endpoint_options("ftp://minio:21")


def test_an_unsupported_object_store_is_refused_naming_the_one_supported(monkeypatch):
    monkeypatch.setenv(lake.CATALOG_VARIABLE, "dbname=lake host=db user=datalabs")
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, "gs://bucket/lake")
    with pytest.raises(ValueError, match="s3://"):
        lake.lake_settings()
