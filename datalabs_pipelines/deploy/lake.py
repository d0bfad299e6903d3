"""The DuckLake warehouse backend: catalog in PostgreSQL, data as Parquet under a data path.

The lake is named ``ducklake:postgres:<dsn>``. The warehouse resource attaches it to an
in-memory DuckDB as that connection's default catalog (``connect``), so the same SQL
(``raw.x``, ``marts.y``) runs on either backend; Great Expectations (through duckdb-engine)
opens it by that name, as a database of its own.
The extensions come from the ``duckdb-extension-ducklake`` and ``duckdb-extension-postgres``
packages (and, for data on object storage, ``-httpfs`` and ``-aws``: ``object_storage``),
installed from their files into DuckDB's extension folder; nothing is downloaded.
"""

from __future__ import annotations

import functools
import os
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import duckdb_extension_aws
import duckdb_extension_ducklake
import duckdb_extension_httpfs
import duckdb_extension_postgres

from datalabs_pipelines.deploy import object_storage
from datalabs_pipelines.warehouse import identifier, literal

BACKEND_VARIABLE = "DATALABS_WAREHOUSE_BACKEND"
CATALOG_VARIABLE = "DATALABS_DUCKLAKE_CATALOG"
DATA_PATH_VARIABLE = "DATALABS_DUCKLAKE_DATA_PATH"
BACKENDS = ("duckdb", "ducklake")
LAKE_PREFIX = "ducklake:postgres:"
CREATE_ATTEMPTS = 5
CONFLICT_RETRIES = 5
CONFLICT_WAIT_SECONDS = 1.0  # doubled at each retry, with jitter
# What DuckLake 1.5.x says when a commit conflicts with one committed since the transaction
# began (its optimistic concurrency control: both deleted from one data file, dropped or
# created one table), or when its own commit retries (ducklake_max_retry_count) ran out.
COMMIT_FAILED = "Failed to commit DuckLake transaction"
CONFLICT_MARKS = ("Transaction conflict", "Exceeded the maximum retry count")
_PASSWORD = re.compile(r"(^|\s)password\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class LakeSettings:
    """Where the lake lives: a libpq DSN without password, and the folder or URL of its data."""

    catalog: str
    data_path: str

    @property
    def database(self) -> str:
        """The name DuckDB opens the lake by (and GE's engine joins it by)."""
        return LAKE_PREFIX + self.catalog


def backend() -> str:
    """``DATALABS_WAREHOUSE_BACKEND``: ``duckdb`` (embedded, the default) or ``ducklake``."""
    value = (os.environ.get(BACKEND_VARIABLE) or "duckdb").strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"{BACKEND_VARIABLE} must be one of {', '.join(BACKENDS)}, not {value!r}")
    return value


def lake_settings() -> LakeSettings:
    """The lake's catalog and data path from the environment.

    The password is never part of the DSN: libpq reads ``PGPASSWORD`` (or a password file),
    which a deployment fills from a secret.
    """
    catalog = (os.environ.get(CATALOG_VARIABLE) or "").strip()
    data_path = (os.environ.get(DATA_PATH_VARIABLE) or "").strip()
    if not catalog or not data_path:
        raise ValueError(
            f"the ducklake backend needs {CATALOG_VARIABLE} (a PostgreSQL DSN such as "
            f"'dbname=lake host=db user=datalabs') and {DATA_PATH_VARIABLE}"
        )
    if _PASSWORD.search(catalog):
        raise ValueError(
            f"{CATALOG_VARIABLE} must not hold a password: set PGPASSWORD from a secret instead"
        )
    object_storage.check_data_path(data_path)
    if not object_storage.is_object_storage(data_path):
        data_path = str(Path(data_path).expanduser().resolve())
    if not data_path.endswith("/"):
        data_path += "/"
    return LakeSettings(catalog=catalog, data_path=data_path)


def data_on_object_storage() -> bool:
    """Whether the lake's data path (``DATALABS_DUCKLAKE_DATA_PATH``) is object storage: only
    then are its extensions installed and loaded, and its secret made."""
    return object_storage.is_object_storage(os.environ.get(DATA_PATH_VARIABLE, "").strip())


def extension_files(remote: bool = False) -> list[Path]:
    """The packaged extension files, for the DuckDB version this process runs; with
    ``remote``, also those that reach object storage (S3)."""
    packages = [(duckdb_extension_postgres, "postgres"), (duckdb_extension_ducklake, "ducklake")]
    if remote:
        packages += [(duckdb_extension_httpfs, "httpfs"), (duckdb_extension_aws, "aws")]
    files = []
    for package, name in packages:
        folder = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
        path = folder / f"{name}.duckdb_extension"
        if not path.is_file():
            raise RuntimeError(
                f"{package.__name__} has no {name} extension for DuckDB {duckdb.__version__}: "
                "the extension packages must match DuckDB's version"
            )
        files.append(path)
    return files


@functools.cache
def install_extensions(remote: bool = False) -> None:
    """Install the packaged extensions into DuckDB's extension folder (a local copy; a no-op
    for one already there).

    Once installed, DuckDB autoloads them when a ``ducklake:`` database is opened, so no
    download is ever attempted.
    """
    with duckdb.connect() as con:
        for path in extension_files(remote):
            con.execute(f"INSTALL {literal(str(path))}")


@functools.cache
def prepare_lake(settings: LakeSettings, schemas: tuple[str, ...]) -> None:
    """Create the lake (catalog tables, data path) and its schemas when missing.

    The data path is recorded in the catalog on creation; later opens read it from there.
    Processes starting together race to create them: the loser's commit conflicts, and it
    tries again, finding them there.
    """
    install_extensions(remote=object_storage.is_object_storage(settings.data_path))
    if not object_storage.is_object_storage(settings.data_path):
        Path(settings.data_path).mkdir(parents=True, exist_ok=True)
    for attempt in range(CREATE_ATTEMPTS):
        try:
            _create(settings, schemas)
            return
        except duckdb.Error:  # a conflict, as a transaction or a catalog error
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


LAKE_ALIAS = "lake"


def connect(database: str, config: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the lake attached as ``lake`` and in use (its default
    catalog for unqualified names).

    ``database`` is the lake's name (``LakeSettings.database``). Extensions are never
    downloaded: the packaged ones are installed (``install_extensions``) and autoloaded.

    Not ``duckdb.connect(database)``: DuckDB keeps one instance per database name in
    the process, and once a DuckLake 1.5.5 commit has conflicted that instance never finishes
    shutting down (something still holds it after its last connection is closed), so the next
    connect by the same name busy-spins in DuckDB's instance cache for ever. An in-memory
    database is never cached: after a conflict the step's retry opens a fresh one, and Great
    Expectations, which joins the lake by name, opens its own (test_parallel_writers).
    """
    con = duckdb.connect(":memory:", config={**config, "autoinstall_known_extensions": False})
    try:
        authorize_storage(con)
        con.execute(f"ATTACH {literal(database)} AS {LAKE_ALIAS}")
        con.execute(f"USE {LAKE_ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def authorize_storage(con: duckdb.DuckDBPyConnection) -> None:
    """When the lake's data is on object storage, give ``con``'s database its secret (from
    the environment: ``object_storage``); a local folder needs nothing. ``con`` is a DuckDB
    connection or duckdb-engine's DB-API wrapper of one (Great Expectations')."""
    if data_on_object_storage():
        install_extensions(remote=True)
        object_storage.authorize(con, lake_settings().data_path)


def _create(settings: LakeSettings, schemas: tuple[str, ...]) -> None:
    with duckdb.connect() as con:
        con.execute("SET autoinstall_known_extensions = false")
        authorize_storage(con)
        con.execute(
            f"ATTACH {literal(settings.database)} AS {LAKE_ALIAS} "
            f"(DATA_PATH {literal(settings.data_path)})"
        )
        for schema in schemas:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {LAKE_ALIAS}.{identifier(schema)}")


def is_write_conflict(error: BaseException) -> bool:
    """Whether ``error`` is DuckLake refusing a commit because of a concurrent one."""
    text = str(error)
    return (
        isinstance(error, duckdb.TransactionException)
        and COMMIT_FAILED in text
        and any(mark in text for mark in CONFLICT_MARKS)
    )


def retry_after_conflict() -> dg.RetryRequested:
    """Ask Dagster to run the step again (its writes are idempotent) after a backoff.

    At most ``CONFLICT_RETRIES`` times; the wait doubles with each retry, with jitter so that
    two steps that collided do not collide again. The log names no table and no value.
    """
    context = dg.OpExecutionContext.get()
    attempt = context.retry_number
    wait = CONFLICT_WAIT_SECONDS * 2**attempt * (0.5 + random.random())
    context.log.warning(
        f"DuckLake write conflict with a concurrent commit: step retry {attempt + 1} of "
        f"{CONFLICT_RETRIES} in {wait:.1f} s"
    )
    return dg.RetryRequested(max_retries=CONFLICT_RETRIES, seconds_to_wait=wait)
