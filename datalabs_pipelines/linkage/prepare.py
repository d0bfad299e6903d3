"""One table of every person record, in the shape the linkage passes compare.

``lk_records`` (a TEMP table, so identities never land in another schema) holds, per staged
record of every person source: normalized names (a "LAST FIRST" name split on its last space),
the formal first names a nickname may stand for, both names in alphabetical order (a key that
survives a first/last swap), date of birth and a key that survives a swapped day and month,
the validated SSN (placeholders such as 123-45-6789 dropped) and its sorted digits, ZIP, sex,
employer, the agency id that pre-groups one person's records, and whether the record carries
anything to link on at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.sources import PersonSource
from datalabs_pipelines.warehouse import identifier

NICKNAMES_CSV = Path(__file__).parent / "reference" / "nicknames.csv"
RECORDS = "lk_records"
NAME_PARTS = "lk_name_parts"  # a full name's parts, in the identities' subquery

# What each source gives lk_records, in order: type, description
SOURCE_COLUMNS = {
    "source_extract": ("VARCHAR", "extract the record comes from"),
    "record_id": ("VARCHAR", "the record's id in its staging table"),
    "first_name": ("VARCHAR", "first name, normalized"),
    "last_name": ("VARCHAR", "last name, normalized"),
    "middle_name": ("VARCHAR", "middle name, normalized"),
    "dob": ("DATE", "date of birth"),
    "ssn": ("VARCHAR", "SSN, validated (placeholders dropped)"),
    "zip": ("VARCHAR", "ZIP code"),
    "sex": ("VARCHAR", "M or F"),
    "employer": ("VARCHAR", "employer FEIN"),
    "agency_key": ("VARCHAR", "agency id that pre-groups one person's records"),
}
RECORD_COLUMNS = {column: sql_type for column, (sql_type, _) in SOURCE_COLUMNS.items()}
# Every column of lk_records (the kept records' schema, ``prepared.py``)
RECORDS_SCHEMA = {
    **SOURCE_COLUMNS,
    "first_canons": ("VARCHAR[]", "the formal first names the first name may stand for"),
    "first_canon": ("VARCHAR", "the alphabetically first of them"),
    "dob_key": ("VARCHAR", "date of birth, surviving a day/month swap"),
    "name_key": ("VARCHAR", "both names in alphabetical order"),
    "ssn_digits": ("VARCHAR", "the SSN's digits in order"),
    "node0": ("VARCHAR", "the node the record starts in (agency id, else the record)"),
    "has_identity": ("BOOLEAN", "carries an SSN, a date of birth or both names"),
    "linkable": ("BOOLEAN", "carries an identity or an agency id"),
}


def load_nicknames(con: duckdb.DuckDBPyConnection, path: Path = NICKNAMES_CSV) -> None:
    """``lk_nicknames(nickname, formal)``: upper-case, accent-free, as names are normalized."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_nicknames AS "
        "SELECT DISTINCT upper(strip_accents(trim(nickname))) AS nickname, "
        "upper(strip_accents(trim(formal))) AS formal "
        "FROM read_csv($path, header = true, all_varchar = true)",
        {"path": str(path)},
    )


def source_select(
    contract: Contract,
    source: PersonSource,
    index: int,
    params: dict[str, object],
    deliveries: Sequence[str] | None = None,
) -> str:
    """SELECT of one source's records in ``RECORD_COLUMNS`` order (only those of
    ``deliveries`` when given); literals go to ``params``."""
    name = identifier(contract.name)
    params[f"src{index}"] = contract.name

    def pii(field: str) -> str | None:
        column = source.column(field)
        return f"i.{identifier(column)}" if column else None

    def open_(field: str) -> str | None:
        column = source.column(field)
        return f"s.{identifier(column)}" if column else None

    first, last = pii("first_name"), pii("last_name")
    identities = f"pii.{name}_identities"
    if source.full_name:
        # "LAST FIRST" split once, on the last space before a run of capitals
        full = identifier(source.column("full_name"))
        identities = (
            f"(SELECT *, regexp_extract({full}, '^(.*) ([A-Z]+)$', ['last', 'first']) "
            f"AS {NAME_PARTS} FROM {identities})"
        )
        first = f"nullif(i.{NAME_PARTS}.first, '')"
        last = f"coalesce(nullif(i.{NAME_PARTS}.last, ''), i.{full})"
    sex = open_("sex")
    sex_sql = f"CASE WHEN upper(trim({sex})) IN ('M', 'F') THEN upper(trim({sex})) END"
    agency = "NULL"
    if source.agency_id:
        params[f"ns{index}"] = source.agency_id.namespace
        cols = [f"s.{identifier(c)}" for c in source.agency_id.columns]
        present = " AND ".join(f"nullif(trim({c}), '') IS NOT NULL" for c in cols)
        agency = (
            f"CASE WHEN {present} THEN $ns{index} || ':' || "
            f"concat_ws('|', {', '.join(f'trim({c})' for c in cols)}) END"
        )
    values = {
        "source_extract": f"$src{index}",
        "record_id": "s.record_id",
        "first_name": first,
        "last_name": last,
        "middle_name": pii("middle_name"),
        "dob": pii("dob"),
        "ssn": pii("ssn"),
        "zip": pii("zip"),
        "sex": sex_sql if sex else None,
        "employer": open_("employer"),
        "agency_key": agency,
    }
    select = ", ".join(
        f"CAST({values[c] or 'NULL'} AS {t}) AS {c}" for c, t in RECORD_COLUMNS.items()
    )
    has_identities = any(source.column(f) for f in ("first_name", "full_name", "dob", "ssn"))
    join = f" LEFT JOIN {identities} i USING (record_id)" if has_identities else ""
    where = ""
    if deliveries is not None:
        names = []
        for d, delivery in enumerate(deliveries):
            params[f"d{index}_{d}"] = delivery
            names.append(f"$d{index}_{d}")
        where = f" WHERE s._delivery IN ({', '.join(names) or 'NULL'})"
    return f"SELECT {select} FROM staging.{name} s{join}{where}"


def records_sql(
    sources: Mapping[str, tuple[Contract, PersonSource]],
    params: dict[str, object],
    deliveries: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """SELECT of every source's records in the shape of ``lk_records`` (only the records of
    ``deliveries``, extract → delivery names, when given); literals go to ``params``. Expects
    ``lk_nicknames`` (``load_nicknames``)."""
    selects = [
        source_select(
            contract, source, i, params, None if deliveries is None else deliveries.get(name, ())
        )
        for i, (name, (contract, source)) in enumerate(sources.items())
    ]
    return f"""
        WITH base AS ({" UNION ALL ".join(selects)}),
        named AS (
            SELECT * REPLACE (
                nullif(trim(first_name), '') AS first_name,
                nullif(trim(last_name), '') AS last_name,
                nullif(trim(middle_name), '') AS middle_name,
                -- placeholders pass the SSA rules but name nobody: never a match key
                -- (nor is one digit repeated)
                CASE WHEN ssn NOT IN ('123456789', '987654321')
                      AND ssn <> repeat(left(ssn, 1), length(ssn)) THEN ssn END AS ssn)
            FROM base
        ),
        -- per distinct first name, not per record: there are far fewer names than records
        canon AS (
            SELECT f.first_name,
                   list_sort(list_distinct(list(k.formal) || [f.first_name])) AS first_canons,
                   -- the alphabetically first formal name (the name itself if it is none's
                   -- nickname): a blocking key that MAGGIE and MARGARET share
                   coalesce(min(k.formal), f.first_name) AS first_canon
            FROM (SELECT DISTINCT first_name FROM named WHERE first_name IS NOT NULL) f
            LEFT JOIN lk_nicknames k ON k.nickname = f.first_name
            GROUP BY f.first_name
        ),
        -- likewise per distinct SSN: its digits in order, equal for two SSNs that differ by a
        -- transposition
        digits AS (
            SELECT ssn, array_to_string(list_sort(string_split(ssn, '')), '') AS ssn_digits
            FROM (SELECT DISTINCT ssn FROM named WHERE ssn IS NOT NULL)
        )
        SELECT n.*, c.first_canons, c.first_canon,
               CASE WHEN n.dob IS NOT NULL THEN
                   year(n.dob) || '-' || least(month(n.dob), day(n.dob)) || '-'
                   || greatest(month(n.dob), day(n.dob)) END AS dob_key,
               -- both names in alphabetical order: equal for a name and its first/last swap
               CASE WHEN n.first_name IS NOT NULL AND n.last_name IS NOT NULL THEN
                   least(n.first_name, n.last_name) || '|'
                   || greatest(n.first_name, n.last_name) END AS name_key,
               d.ssn_digits,
               coalesce(n.agency_key, n.source_extract || ':' || n.record_id) AS node0,
               (n.ssn IS NOT NULL OR n.dob IS NOT NULL
                OR (n.first_name IS NOT NULL AND n.last_name IS NOT NULL)) AS has_identity,
               (n.ssn IS NOT NULL OR n.dob IS NOT NULL
                OR (n.first_name IS NOT NULL AND n.last_name IS NOT NULL)
                OR n.agency_key IS NOT NULL) AS linkable
        FROM named n LEFT JOIN canon c USING (first_name) LEFT JOIN digits d USING (ssn)
    """


def build_records(
    con: duckdb.DuckDBPyConnection,
    sources: Mapping[str, tuple[Contract, PersonSource]],
    deliveries: Mapping[str, Sequence[str]] | None = None,
    into: str = RECORDS,
) -> int:
    """Create TEMP ``into`` (default ``lk_records``) from every source, or from the records of
    ``deliveries`` only; returns its row count."""
    load_nicknames(con)
    params: dict[str, object] = {}
    select = records_sql(sources, params, deliveries)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {identifier(into)} AS {select}", params)
    return con.execute(f"SELECT count(*) FROM {identifier(into)}").fetchone()[0]
