"""The lake's data on S3 or an S3-compatible store (MinIO, Ceph, ...), reached through DuckDB's
``httpfs`` extension with credentials that never leave the environment.

The secret is DuckDB's ``credential_chain`` provider (the ``aws`` extension): the AWS SDK reads
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` and ``AWS_REGION`` from
the environment, or a web identity (Kubernetes IRSA) or an instance profile when they are
absent. So no key is ever written in SQL, a log, a resource's config or the repository: the
statement names only where the store is. DuckDB keeps the resolved key in its secret manager
and shows it redacted (``duckdb_secrets()``).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import duckdb

from datalabs_pipelines.warehouse import literal

ENDPOINT_VARIABLE = "DATALABS_S3_ENDPOINT"
REGION_VARIABLE = "AWS_REGION"
SCHEMES = ("s3://",)
SECRET_NAME = "datalabs_lake_storage"
EXTENSIONS = ("httpfs", "aws")


def is_object_storage(data_path: str) -> bool:
    """Whether the lake's data path is an object-storage URL (else a local folder)."""
    return "://" in data_path


def check_data_path(data_path: str) -> None:
    """Refuse a URL scheme the installed extensions cannot reach, naming the one that works."""
    if is_object_storage(data_path) and not data_path.startswith(SCHEMES):
        scheme = data_path.split("://", 1)[0]
        raise ValueError(
            f"object storage {scheme}:// is not supported: the lake's data path must be a local "
            f"folder or an {' or '.join(SCHEMES)} URL (S3 or an S3-compatible store)"
        )


def endpoint_options(endpoint: str) -> dict[str, str]:
    """The secret's options, as SQL, for a custom endpoint (``host:port`` or an ``http(s)://``
    URL).

    An S3-compatible store is reached by path (``http://host/bucket/key``), not by a virtual
    host per bucket; TLS is off only when the URL says ``http://``. Its key comes from the
    variables (or ``~/.aws``) only: the chain skips AWS's web identity and instance metadata.
    """
    if not endpoint:
        return {}
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{ENDPOINT_VARIABLE} must be host:port or an http(s):// URL")
    return {
        "ENDPOINT": literal(parts.netloc),
        "URL_STYLE": "'path'",
        "USE_SSL": "true" if parts.scheme == "https" else "false",
        "CHAIN": "'env;config'",
    }


def secret_statement(data_path: str) -> str:
    """``CREATE OR REPLACE SECRET`` for the lake's data path: the credential chain, scoped to
    the data path, with the custom endpoint's options. It holds no key.

    ``AWS_REGION`` is required: without it the AWS SDK asks the instance-metadata address
    for one (seen with strace even when the secret names a region), which off AWS only waits.
    """
    if not os.environ.get(REGION_VARIABLE, "").strip():
        raise ValueError(
            f"a lake on object storage needs {REGION_VARIABLE} (any region, e.g. us-east-1, "
            "for an S3-compatible store)"
        )
    options = {
        "TYPE": "s3",
        "PROVIDER": "credential_chain",
        "SCOPE": literal(data_path),
        **endpoint_options(os.environ.get(ENDPOINT_VARIABLE, "").strip()),
    }
    body = ", ".join(f"{name} {value}" for name, value in options.items())
    return f"CREATE OR REPLACE SECRET {SECRET_NAME} ({body})"


def authorize(con: duckdb.DuckDBPyConnection, data_path: str) -> None:
    """Load the extensions (installed from their packages, never downloaded) and create the
    secret on ``con``'s database. Any DB-API cursor-like object with ``execute`` will do."""
    for extension in EXTENSIONS:
        con.execute(f"LOAD {extension}")
    con.execute(secret_statement(data_path))
