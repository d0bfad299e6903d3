"""SQL expressions that type and standardize one raw text column, per its contract type.

Every expression maps an empty or unparseable value to NULL; ``invalid_sql`` says which
non-empty values failed, so staging can count them instead of dropping them silently.
"""

from __future__ import annotations

from datalabs_pipelines.contracts.model import Column
from datalabs_pipelines.warehouse import identifier

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "money": "DECIMAL(18, 2)",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "ssn": "VARCHAR",
    "fein": "VARCHAR",
}

# SSA never issues area 000, 666 or 900-999, group 00 or serial 0000.
VALID_SSN = "^(?!000|666|9)[0-9]{3}(?!00)[0-9]{2}(?!0000)[0-9]{4}$"


def text(column: Column) -> str:
    """The trimmed raw value, NULL when empty."""
    return f"nullif(trim({identifier(column.name)}), '')"


def typed_sql(column: Column, params: dict[str, object]) -> str:
    """Typed, standardized value; date formats are added to ``params`` as bound values."""
    t = text(column)
    match column.type:
        case "string":
            return f"regexp_replace({t}, '\\s+', ' ', 'g')"
        case "integer":
            return f"TRY_CAST(replace({t}, ',', '') AS BIGINT)"
        case "decimal":
            return f"TRY_CAST(replace({t}, ',', '') AS DOUBLE)"
        case "money" if column.unit == "cents":
            return f"(TRY_CAST({t} AS BIGINT) / 100)::DECIMAL(18, 2)"
        case "money":
            sign = f"CASE WHEN regexp_full_match({t}, '\\(.*\\)') THEN -1 ELSE 1 END"
            digits = f"regexp_replace({t}, '[$,()\\s]', '', 'g')"
            return f"({sign} * TRY_CAST({digits} AS DECIMAL(18, 2)))::DECIMAL(18, 2)"
        case "date":
            key = f"formats_{column.name}"
            params[key] = list(column.formats)
            return f"try_strptime({t}, ${key})::DATE"
        case "boolean":
            return (
                f"CASE WHEN upper({t}) IN ('Y', 'YES', 'TRUE', 'T', '1') THEN true "
                f"WHEN upper({t}) IN ('N', 'NO', 'FALSE', 'F', '0') THEN false END"
            )
        case "ssn":
            digits = f"regexp_replace({t}, '[^0-9]', '', 'g')"
            return f"CASE WHEN regexp_full_match({digits}, '{_SSN_RE2}') THEN {digits} END"
        case "fein":
            digits = f"regexp_replace({t}, '[^0-9]', '', 'g')"
            return f"CASE WHEN length({digits}) = 9 AND {digits} <> '000000000' THEN {digits} END"
    raise ValueError(f"unknown column type {column.type!r}")


# RE2 has no look-ahead: the same SSN rule written positively.
_SSN_RE2 = (
    "(00[1-9]|0[1-9][0-9]|[1-57-8][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
    "(0[1-9]|[1-9][0-9])"
    "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
)


def invalid_sql(column: Column, typed: str) -> str:
    """TRUE where a non-empty value did not survive typing."""
    return f"({text(column)} IS NOT NULL AND ({typed}) IS NULL)"


def identity_sql(column: Column, typed: str) -> str:
    """The normalized form of a direct identifier, as compared and tokenized for linkage."""
    match column.pii_kind:
        case "name":
            letters = (
                f"regexp_replace(regexp_replace(upper(strip_accents({typed})), '[-\\s]+', ' ', "
                f"'g'), '[^A-Z ]', '', 'g')"
            )
            return f"nullif(trim(regexp_replace({letters}, ' +', ' ', 'g')), '')"
        case "address":
            return (
                f"nullif(regexp_replace(upper(strip_accents({typed})), '[^A-Z0-9]+', ' ', 'g'), '')"
            )
        case "phone":
            return f"nullif(right(regexp_replace({typed}, '[^0-9]', '', 'g'), 10), '')"
        case "zip":
            return f"nullif(left(regexp_replace({typed}, '[^0-9]', '', 'g'), 5), '')"
        case "email":
            return f"lower({typed})"
        case _:
            return typed


def match_fold_sql(typed: str) -> str:
    """Upper-cased, accent-folded, whitespace-collapsed copy used by linkage."""
    return f"nullif(trim(regexp_replace(upper(strip_accents({typed})), '\\s+', ' ', 'g')), '')"
