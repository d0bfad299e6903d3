"""Where business records come from: each vendor or registry extract, mapped to one shape.

``business_records`` has one row per staged record of every source: the normalized name, DBA,
FEIN, address, city, ZIP and phone that vendor resolution compares. Column names come from
the declarations below and are validated as identifiers before they reach SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from datalabs_pipelines.procurement.names import install_macros
from datalabs_pipelines.warehouse import identifier

Role = Literal["vendor", "registry"]


@dataclass(frozen=True)
class BusinessSource:
    """How one staged extract describes a business (column names in ``staging.<extract>``)."""

    extract: str
    role: Role
    name: str
    address: str
    zip: str
    source_id: str | None = None  # natural id; the staging record_id when None
    dba: str | None = None
    fein: str | None = None
    city: str | None = None
    city_state: str | None = None  # "City, ST" in one column
    phone: str | None = None
    naics: str | None = None


VENDOR_MASTER = BusinessSource(
    "vendor_master", "vendor", name="vendor_name", dba="dba_name", fein="fein",
    address="address", city="city", zip="zip", phone="phone", naics="naics",
    source_id="vendor_id",
)  # fmt: skip
CERTIFIED_FIRMS = BusinessSource(
    "certified_firms", "registry", name="business_name", fein="fein", address="address",
    city="city", zip="zip", phone="phone", naics="naics", source_id="certification_id",
)  # fmt: skip
NC_DOT_DBE = BusinessSource(
    "nc_dot_dbe_directory", "registry", name="company_name", address="mailing_address",
    city="mailing_city", zip="mailing_zip", phone="phone", source_id="reporting_number",
)  # fmt: skip
NC_HUB = BusinessSource(
    "nc_hub_directory", "registry", name="company_name", address="address",
    city_state="city_state", zip="zip", phone="phone",
)  # fmt: skip

STATE_SOURCES = (VENDOR_MASTER, CERTIFIED_FIRMS)

RECORDS_COLUMNS = {
    "uid": ("VARCHAR", "source_extract|record_id: unique across sources"),
    "source_extract": ("VARCHAR", "extract the record comes from"),
    "record_id": ("VARCHAR", "staging record id (<delivery>:<line>)"),
    "source_id": ("VARCHAR", "the source's own id (vendor id, certification number)"),
    "role": ("VARCHAR", "vendor (vendor master) or registry (certifying body)"),
    "name_raw": ("VARCHAR", "business name as the source writes it"),
    "name_norm": ("VARCHAR", "normalized name: legal suffixes, punctuation, & / AND, THE"),
    "dba_norm": ("VARCHAR", "normalized doing-business-as name, if any"),
    "fein": ("VARCHAR", "FEIN, 9 digits, when the source has one"),
    "address_norm": ("VARCHAR", "normalized street address"),
    "house_number": ("VARCHAR", "leading number of the street address"),
    "city_norm": ("VARCHAR", "normalized city"),
    "zip5": ("VARCHAR", "first five ZIP digits"),
    "phone10": ("VARCHAR", "last ten phone digits"),
    "naics2": ("VARCHAR", "two-digit NAICS sector of the business, if known"),
}


def _col(column: str | None) -> str:
    return f"s.{identifier(column)}" if column else "NULL"


def _select(source: BusinessSource) -> str:
    name = _col(source.name)
    city = (
        f"biz_city(split_part({_col(source.city_state)}, ',', 1))"
        if source.city_state
        else f"biz_city({_col(source.city)})"
    )
    source_id = _col(source.source_id) if source.source_id else "s.record_id"
    dba = (
        f"coalesce(biz_name({_col(source.dba)}), biz_name(biz_dba_part({name})))"
        if source.dba
        else f"biz_name(biz_dba_part({name}))"
    )
    naics2 = f"nullif(left(trim({_col(source.naics)}), 2), '')" if source.naics else "NULL"
    return f"""
        SELECT $extract || '|' || s.record_id, $extract, s.record_id, {source_id}::VARCHAR,
               $role, {name}, biz_name({name}), {dba}, {_col(source.fein)},
               biz_address({_col(source.address)}), biz_house_number({_col(source.address)}),
               {city}, biz_zip5({_col(source.zip)}), biz_phone({_col(source.phone)}), {naics2}
        FROM staging.{identifier(source.extract)} s
    """


def build_business_records(
    con: duckdb.DuckDBPyConnection, sources: Sequence[BusinessSource], table: str
) -> int:
    """(Re)create ``table`` with every record of ``sources``; return its row count."""
    install_macros(con)
    body = ", ".join(f"{identifier(n)} {t}" for n, (t, _) in RECORDS_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({body})")
    for source in sources:
        con.execute(
            f"INSERT INTO {table} {_select(source)}",
            {"extract": source.extract, "role": source.role},
        )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
