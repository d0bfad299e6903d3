"""Where business records come from: every contract filling a business role, in one shape.

``business_records`` has one row per staged record of every contract filling the
``vendor_master`` or ``certified_firm_registry`` role (``roles.yaml``): the normalized name,
DBA, FEIN, address, city, ZIP and phone that vendor resolution compares. It reads the role
views (``contracts/roles.py``), so a new registry joins through its contract alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.procurement.names import install_macros

# role -> (business_records.role, name column, the source's own id column)
BUSINESS_ROLES = {
    "vendor_master": ("vendor", "vendor_name", "vendor_id"),
    "certified_firm_registry": ("registry", "business_name", "certification_id"),
}

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


def _select(view: str, name: str, source_id: str) -> str:
    # view and columns are this module's constants
    return f"""
        SELECT source_extract || '|' || record_id, source_extract, record_id,
               coalesce({source_id}, record_id), $role, {name}, biz_name({name}),
               coalesce(biz_name(dba_name), biz_name(biz_dba_part({name}))), fein,
               biz_address(address), biz_house_number(address),
               biz_city(coalesce(city, split_part(city_state, ',', 1))), biz_zip5(zip),
               biz_phone(phone), nullif(left(trim(naics), 2), '')
        FROM {view}
    """


def build_business_records(
    con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract], table: str
) -> int:
    """(Re)create ``table`` with every record of the business roles; return its row count."""
    install_macros(con)
    build_role_views(con, contracts, BUSINESS_ROLES)
    body = ", ".join(f"{n} {t}" for n, (t, _) in RECORDS_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({body})")
    for role, (kind, name, source_id) in BUSINESS_ROLES.items():
        con.execute(
            f"INSERT INTO {table} {_select(f'role_{role}', name, source_id)}", {"role": kind}
        )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
