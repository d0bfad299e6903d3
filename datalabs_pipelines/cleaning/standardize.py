"""SQL expressions that type and standardize one raw text column, per its contract type.

Every expression maps an empty value, or one of the column's missing-value markers ("N/A",
"–", …), to NULL, and an unparseable value to NULL too; ``invalid_sql`` says which given
values failed, so staging counts them (by line and column) instead of dropping them silently.
Integers refuse decimals, identifiers refuse anything a spreadsheet made numeric, and amounts
accept ``$``, thousands separators, and a negative written as ``-5``, ``(5)``, ``5-`` or ``5 CR``.
"""

from __future__ import annotations

from datalabs_pipelines.contracts.model import Column
from datalabs_pipelines.warehouse import identifier

SQL_TYPES = {
    "string": "VARCHAR",
    "identifier": "VARCHAR",
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


# A number's digits: plain, or grouped by thousands with commas; an optional fraction.
_DIGITS = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_NUMBER = rf"(?:{_DIGITS}(?:\.[0-9]*)?|\.[0-9]+)"
# An amount: "$1,234.50", "-$5", "$-5", "(5.00)", "5.00-", "5.00 CR" (the last three negative).
_AMOUNT = (
    rf"\(\s*\$?\s*{_NUMBER}\s*\)|(?:-\s*\$?|\$\s*-|\$)?\s*{_NUMBER}|\$?\s*{_NUMBER}\s*(?:-|CR)"
)
_NEGATIVE = r"^\(|^-|\$\s*-|(?:-|CR)$"
# What a spreadsheet does to an id it took for a number: "1.23E+05", "12345.0".
_NUMERIC_LOOKING_ID = r"^[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$|^[0-9]+\.0+$"


def text(column: Column, params: dict[str, object]) -> str:
    """The trimmed raw value, NULL when empty or one of the column's missing-value markers."""
    value = f"nullif(trim({identifier(column.name)}), '')"
    if not column.null_markers:
        return value
    key = f"nulls_{column.name}"
    params[key] = [m.strip() for m in column.null_markers]
    marked = f"list_contains(${key}, trim({identifier(column.name)}))"
    return f"(CASE WHEN {marked} THEN NULL ELSE {value} END)"


def typed_sql(column: Column, params: dict[str, object]) -> str:
    """Typed, standardized value; markers and date formats are bound through ``params``."""
    t = text(column, params)
    match column.type:
        case "string":
            return f"regexp_replace({t}, '\\s+', ' ', 'g')"
        case "identifier":
            return f"CASE WHEN NOT regexp_matches({t}, '{_NUMERIC_LOOKING_ID}') THEN {t} END"
        case "integer":
            digits = f"regexp_extract({t}, '^([+-]?{_DIGITS})(?:\\.0*)?$', 1)"
            return f"TRY_CAST(nullif(replace({digits}, ',', ''), '') AS BIGINT)"
        case "decimal":
            digits = f"regexp_extract({t}, '^([+-]?{_NUMBER})$', 1)"
            return f"TRY_CAST(nullif(replace({digits}, ',', ''), '') AS DOUBLE)"
        case "money" if column.unit == "cents":
            digits = f"regexp_extract({t}, '^([+-]?[0-9]+)$', 1)"
            return f"(TRY_CAST(nullif({digits}, '') AS BIGINT) / 100)::DECIMAL(18, 2)"
        case "money":
            return _amount_sql(t)
        case "date":
            key = f"formats_{column.name}"
            params[key] = list(column.formats)
            parsed = f"try_strptime({t}, ${key})::DATE"
            # %Y reads "1/2/24" as the year 24: a year of fewer than four digits is a typo
            return f"CASE WHEN year({parsed}) >= 1000 THEN {parsed} END"
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


def _amount_sql(t: str) -> str:
    """An amount in dollars; NULL unless it is one well-formed amount with at most one sign."""
    value = f"upper({t})"
    magnitude = f"replace(regexp_extract({value}, '{_NUMBER}', 0), ',', '')"
    negative = f"regexp_matches({value}, '{_NEGATIVE}')"
    return (
        f"CASE WHEN regexp_full_match({value}, '{_AMOUNT}') THEN "
        f"(CASE WHEN {negative} THEN -1 ELSE 1 END * TRY_CAST({magnitude} AS DECIMAL(18, 2)))"
        f"::DECIMAL(18, 2) END"
    )


# RE2 has no look-ahead: the same SSN rule written positively.
_SSN_RE2 = (
    "(00[1-9]|0[1-9][0-9]|[1-57-8][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
    "(0[1-9]|[1-9][0-9])"
    "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
)


def given_sql(column: Column, params: dict[str, object]) -> str:
    """TRUE where a value was given: neither empty nor a missing-value marker."""
    return f"({text(column, params)} IS NOT NULL)"


def invalid_sql(given: str, typed: str) -> str:
    """TRUE where a value was given (``given``: ``given_sql`` or a column holding it) but did
    not survive typing (``typed``)."""
    return f"({given} AND ({typed}) IS NULL)"


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
