"""Roles: what a domain reads from the contracts that fill it, checked and unioned.

Each domain declares its roles in ``<domain>/roles.yaml`` beside its code: the canonical
columns it reads (required and optional, with the SQL type it reads them as) and the value maps
a contract must give. A contract fills a role with ``role:``; any number of contracts may fill
one. Domain SQL never names an extract: it reads ``role_<role>``, a temporary view that unions
the staging tables of every contract filling the role (built by ``build_role_views`` at the
start of each step that reads it, so it never outlives the tables under it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.warehouse import identifier, table_exists
from datalabs_pipelines.yaml_files import read_yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROLE_TYPES = ("VARCHAR", "DATE", "DECIMAL(18, 2)", "DOUBLE", "BIGINT", "BOOLEAN")
# What a contract column's type can be read as: every column reads as text.
_READS_AS = {
    "DATE": {"date"},
    "DECIMAL(18, 2)": {"money", "decimal", "integer"},
    "DOUBLE": {"money", "decimal", "integer"},
    "BIGINT": {"integer"},
    "BOOLEAN": {"boolean"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleColumn(_Strict):
    type: str = "VARCHAR"
    required: bool = True
    description: str = Field(min_length=1)


class RoleValueMap(_Strict):
    fields: list[str] = Field(min_length=1)
    required: bool = False


class Role(_Strict):
    description: str = Field(min_length=1)
    columns: dict[str, RoleColumn] = Field(min_length=1)
    value_maps: dict[str, RoleValueMap] = Field(default_factory=dict)


class RoleFile(_Strict):
    roles: dict[str, Role]


class RoleError(ValueError):
    """A roles.yaml file is invalid."""


@cache
def all_roles(package_dir: Path = PACKAGE_DIR) -> dict[str, Role]:
    """Every role declared by a domain (``<domain>/roles.yaml``), by name."""
    roles: dict[str, Role] = {}
    for path in sorted(package_dir.glob("*/roles.yaml")):
        for name, role in RoleFile.model_validate(read_yaml(path)).roles.items():
            identifier(name)
            if name in roles:
                raise RoleError(f"{path}: role {name!r} is declared twice")
            for column, spec in role.columns.items():
                identifier(column)
                if spec.type not in ROLE_TYPES:
                    raise RoleError(
                        f"{path}: {name}.{column}: type {spec.type!r} not in {ROLE_TYPES}"
                    )
            roles[name] = role
    return roles


def role_problems(contract: Contract) -> list[str]:
    """One line per way ``contract`` fails the role it declares (none without a role)."""
    if contract.role is None:
        return []
    roles = all_roles()
    role = roles.get(contract.role)
    if role is None:
        return [f"role {contract.role!r} is not declared by any domain (known: {sorted(roles)})"]
    columns = {c.name: c for c in contract.columns}
    problems = []
    for name, spec in role.columns.items():
        column = columns.get(name)
        if column is None:
            if spec.required:
                problems.append(
                    f"role {contract.role} needs column {name!r} "
                    "(none of the contract's canonical names)"
                )
            continue
        if column.classification == "pii":
            problems.append(
                f"role {contract.role} reads column {name!r} from staging, "
                "so it cannot be classified pii"
            )
        elif spec.type != "VARCHAR" and column.type not in _READS_AS[spec.type]:
            problems.append(
                f"role {contract.role} reads column {name!r} as {spec.type}; "
                f"the contract types it {column.type!r}"
            )
    for column, spec in role.value_maps.items():
        given = contract.value_maps.get(column)
        if given is None:
            if spec.required:
                problems.append(
                    f"role {contract.role} needs value_maps.{column} "
                    f"(each code to {', '.join(spec.fields)})"
                )
            continue
        for code, fields in given.items():
            missing = [f for f in spec.fields if f not in fields]
            extra = sorted(set(fields) - set(spec.fields))
            if missing:
                problems.append(f"value_maps.{column}.{code}: needs {', '.join(missing)}")
            if extra:
                problems.append(
                    f"value_maps.{column}.{code}: role {contract.role} reads no {', '.join(extra)}"
                )
    for column in sorted(set(contract.value_maps) - set(role.value_maps)):
        problems.append(f"value_maps.{column}: role {contract.role} reads no map on {column!r}")
    return problems


def filling(contracts: Sequence[Contract], role: str) -> list[Contract]:
    """The contracts that fill ``role``, by name."""
    return sorted((c for c in contracts if c.role == role), key=lambda c: c.name)


def _select(contract: Contract, role: Role) -> str:
    names = {c.name for c in contract.columns}
    parts = [
        f"CAST({identifier(n)} AS {spec.type})" if n in names else f"NULL::{spec.type}"
        for n, spec in role.columns.items()
    ]
    body = ", ".join(f"{p} AS {identifier(n)}" for p, n in zip(parts, role.columns, strict=True))
    # contract names and agencies are validated lower_snake_case identifiers
    return (
        f"SELECT '{identifier(contract.name)}' AS source_extract, "
        f"'{identifier(contract.agency)}' AS source_agency, record_id, {body} "
        f"FROM staging.{identifier(contract.name)}"
    )


def build_role_views(con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract]) -> None:
    """``role_<role>`` for every role: the staged rows of each contract filling it."""
    for name, role in all_roles().items():
        selects = [
            _select(c, role)
            for c in filling(contracts, name)
            if table_exists(con, ("staging", c.name))
        ]
        if not selects:  # no contract delivered: an empty view of the right shape
            empty = ", ".join(f"NULL::{s.type} AS {n}" for n, s in role.columns.items())
            selects = [
                "SELECT NULL::VARCHAR AS source_extract, NULL::VARCHAR AS source_agency, "
                f"NULL::VARCHAR AS record_id, {empty} WHERE false"
            ]
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW role_{identifier(name)} AS "
            + " UNION ALL BY NAME ".join(selects)
        )


def write_value_maps(
    con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract], table: str
) -> None:
    """(Re)create ``table``: one row per contract, mapped column, code and field."""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} (source_extract VARCHAR, column_name VARCHAR, "
        "code VARCHAR, field VARCHAR, value VARCHAR)"
    )
    rows = [
        (c.name, column, code.strip().upper(), field, value)
        for c in contracts
        for column, codes in sorted(c.value_maps.items())
        for code, fields in sorted(codes.items())
        for field, value in sorted(fields.items())
    ]
    if rows:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", rows)
