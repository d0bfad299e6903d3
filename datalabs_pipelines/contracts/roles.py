"""Roles: what a domain reads from the contracts that fill it, checked and unioned.

Each domain declares its roles in ``<domain>/roles.yaml`` beside its code: the canonical
columns it reads (required and optional, with the SQL type it reads them as) and the value maps
a contract must give. A contract fills a role with ``role:``; any number of contracts may fill
one. Domain SQL never names an extract: it reads ``role_<role>``, a temporary view that unions
the staging tables of every contract filling the role (built by ``build_role_views`` at the
start of each step that reads it, so it never outlives the tables under it).

A contract may give a role column the file lacks as a constant (``constants: {program: SNAP}``).
Person linkage's role, ``person_source`` (``linkage/roles.yaml``), is filled by declaring
``person_source:`` beside ``role:`` (every person extract also fills an outcome role, and
carries its agency id there); its identity columns (``pii: true``) are read from the pii zone
by linkage, never into a view. A pii date of birth ``dob`` is read from staging as ``dob_year``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.warehouse import identifier, literal, table_exists
from datalabs_pipelines.yaml_files import read_yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROLE_TYPES = ("VARCHAR", "DATE", "DECIMAL(18, 2)", "DOUBLE", "BIGINT", "INTEGER", "BOOLEAN")
# The role a contract's ``person_source:`` declaration fills (linkage/roles.yaml).
PERSON_SOURCE = "person_source"
# What a contract column's type can be read as: every column reads as text.
_READS_AS = {
    "DATE": {"date"},
    "DECIMAL(18, 2)": {"money", "decimal", "integer"},
    "DOUBLE": {"money", "decimal", "integer"},
    "BIGINT": {"integer"},
    "INTEGER": {"integer"},
    "BOOLEAN": {"boolean"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleColumn(_Strict):
    type: str = "VARCHAR"
    required: bool = True
    pii: bool = Field(False, description="read from the pii zone (linkage), never from staging")
    description: str = Field(min_length=1)


class RoleValueMap(_Strict):
    fields: list[str] = Field(min_length=1)
    required: bool = Field(False, description="a contract carrying the column must give the map")
    as_columns: bool = Field(
        False,
        description="role_<role> gives each field as a column: the value the contract maps the "
        "row's code to (NULL for a code it does not list); for columns of one code per value",
    )


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
            for column, spec in role.value_maps.items():
                if column not in role.columns:
                    raise RoleError(f"{path}: {name}.value_maps.{column}: not a role column")
                for field in spec.fields if spec.as_columns else []:
                    identifier(field)
                    if field in role.columns:
                        raise RoleError(
                            f"{path}: {name}.value_maps.{column}: field {field!r} is a role column"
                        )
            roles[name] = role
    return roles


def filled_roles(contract: Contract) -> list[str]:
    """The roles ``contract`` fills: its ``role:`` and, with ``person_source:``, that one."""
    return [r for r in (contract.role, PERSON_SOURCE if contract.person_source else None) if r]


def _staged(contract: Contract) -> dict[str, str | None]:
    """Staging columns a role can read → contract type (None for pii, which stays in pii).

    A date of birth leaves the pii zone only as its year (``<column>_year``, an integer)."""
    out: dict[str, str | None] = {}
    for c in contract.columns:
        out[c.name] = None if c.classification == "pii" else c.type
        if c.classification == "pii" and c.pii_kind == "dob":
            out[f"{c.name}_year"] = "integer"
    return out


def role_problems(contract: Contract) -> list[str]:
    """One line per way ``contract`` fails a role it fills (none without a role)."""
    problems = []
    for name in filled_roles(contract):
        problems += _problems(contract, name)
    for column in sorted(set(contract.constants) - set(_read_columns(contract))):
        problems.append(f"constants.{column}: none of its roles reads a column {column!r}")
    return problems


def _read_columns(contract: Contract) -> set[str]:
    roles = all_roles()
    return {c for r in filled_roles(contract) if r in roles for c in roles[r].columns}


def _problems(contract: Contract, role_name: str) -> list[str]:
    roles = all_roles()
    role = roles.get(role_name)
    if role is None:
        return [f"role {role_name!r} is not declared by any domain (known: {sorted(roles)})"]
    staged = _staged(contract)
    problems = []
    for name, spec in role.columns.items():
        if name in contract.constants:
            if name in staged:
                problems.append(f"constants.{name}: the contract has a column {name!r} too")
            continue
        if name not in staged:
            if spec.required:
                problems.append(
                    f"role {role_name} needs column {name!r} "
                    "(none of the contract's canonical names)"
                )
            continue
        kind = staged[name]
        if spec.pii != (kind is None):
            problems.append(
                f"role {role_name} reads column {name!r} from "
                + (
                    "pii, so it must be classified pii"
                    if spec.pii
                    else "staging, so it cannot be classified pii"
                )
            )
        elif kind is not None and spec.type != "VARCHAR" and kind not in _READS_AS[spec.type]:
            problems.append(
                f"role {role_name} reads column {name!r} as {spec.type}; "
                f"the contract types it {kind!r}"
            )
    if (
        role_name == PERSON_SOURCE
        and "full_name" in staged
        and ("first_name" in staged or "last_name" in staged)
    ):
        problems.append(f"role {role_name}: full_name excludes first_name and last_name")
    if role_name == PERSON_SOURCE and contract.person_source.agency_id is not None:
        for column in contract.person_source.agency_id.columns:
            if staged.get(column) is None:
                problems.append(
                    f"person_source.agency_id: {column!r} must be a non-pii column of the contract"
                )
    if role_name != contract.role:  # value maps belong to the contract's own role
        return problems
    for column, spec in role.value_maps.items():
        given = contract.value_maps.get(column)
        if given is None:
            if spec.required and column in staged:
                problems.append(
                    f"role {role_name} needs value_maps.{column} "
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
                    f"value_maps.{column}.{code}: role {role_name} reads no {', '.join(extra)}"
                )
    for column in sorted(set(contract.value_maps) - set(role.value_maps)):
        problems.append(f"value_maps.{column}: role {role_name} reads no map on {column!r}")
    return problems


def filling(contracts: Sequence[Contract], role: str) -> list[Contract]:
    """The contracts that fill ``role``, by name."""
    return sorted((c for c in contracts if role in filled_roles(c)), key=lambda c: c.name)


def mapped_fields(role: Role) -> list[tuple[str, str]]:
    """(column, field) for each field a role's view gives from a value map."""
    return [(c, f) for c, m in role.value_maps.items() if m.as_columns for f in m.fields]


def _mapped(contract: Contract, column: str, field: str) -> str:
    """The SQL of ``field`` for ``contract``'s rows: its map of ``column``'s codes (trimmed and
    upper-cased), NULL for a code it does not list or when it has no map or no column."""
    codes = {
        code.strip().upper(): fields[field]
        for code, fields in contract.value_maps.get(column, {}).items()
        if field in fields
    }
    if not codes or column not in _staged(contract):
        return "NULL::VARCHAR"
    cases = " ".join(f"WHEN {literal(c)} THEN {literal(v)}" for c, v in sorted(codes.items()))
    return f"CASE upper(trim(CAST({identifier(column)} AS VARCHAR))) {cases} END"


def _select(contract: Contract, role: Role) -> str:
    names = _staged(contract)
    columns = {n: s for n, s in role.columns.items() if not s.pii}
    parts = [
        f"CAST({literal(contract.constants[n])} AS {spec.type})"
        if n in contract.constants
        else f"CAST({identifier(n)} AS {spec.type})"
        if n in names
        else f"NULL::{spec.type}"
        for n, spec in columns.items()
    ]
    parts += [_mapped(contract, c, f) for c, f in mapped_fields(role)]
    outputs = [*columns, *(f for _, f in mapped_fields(role))]
    body = ", ".join(f"{p} AS {identifier(n)}" for p, n in zip(parts, outputs, strict=True))
    # constants: a view cannot bind parameters
    return (
        f"SELECT {literal(contract.name)} AS source_extract, "
        f"{literal(contract.agency)} AS source_agency, record_id"
        + (f", {body}" if body else "")
        + f" FROM staging.{identifier(contract.name)}"
    )


def build_role_views(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    roles: Collection[str] | None = None,
) -> None:
    """``role_<role>`` for each of ``roles`` (every role when None): the staged rows of each
    contract filling it (the columns a role reads from pii are not in it). A step builds only
    what it reads, so another domain's tables never stand in its way."""
    for name, role in all_roles().items():
        if roles is not None and name not in roles:
            continue
        selects = [
            _select(c, role)
            for c in filling(contracts, name)
            if table_exists(con, ("staging", c.name))
        ]
        if not selects:  # no contract delivered: an empty view of the right shape
            empty = "".join(
                f", NULL::{s.type} AS {n}" for n, s in role.columns.items() if not s.pii
            ) + "".join(f", NULL::VARCHAR AS {f}" for _, f in mapped_fields(role))
            selects = [
                "SELECT NULL::VARCHAR AS source_extract, NULL::VARCHAR AS source_agency, "
                f"NULL::VARCHAR AS record_id{empty} WHERE false"
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
