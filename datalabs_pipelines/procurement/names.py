"""Business name, address, city, ZIP and phone normalization, as DuckDB SQL macros.

The same macros serve the state's registries, the vendor master and the NC directories, so
"1st Class Trucking, Inc." and "1ST CLASS TRUCKING INC", or "A & B Janitorial LLC" and
"A AND B JANITORIAL", normalize to one string. Each rule is a (pattern, replacement) pair
applied in order; patterns are RE2 and operate on upper-cased, accent-folded text.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.warehouse import literal

LEGAL_SUFFIXES = (
    "INC", "INCORPORATED", "LLC", "L L C", "LC", "CORP", "CORPORATION", "CO", "COMPANY",
    "LTD", "LIMITED", "LP", "LLP", "PLLC", "PC", "PA", "PLC",
)  # fmt: skip

# Text that introduces a second name for the same business.
DBA_MARKER = r"\s+(?:D\s*/\s*B\s*/\s*A|DBA|D B A|T\s*/\s*A|AKA|A\s*/\s*K\s*/\s*A)[\s:]+"

NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"&AMP;", "&"),  # HTML entities the NC HUB export leaves in names
    (r"&#0?39;|&APOS;|&QUOT;", ""),
    (DBA_MARKER + ".*$", ""),  # keep the legal name; the DBA part is its own column
    (r"['`’.]", ""),  # O'BRIEN -> OBRIEN, L.L.C. -> LLC
    (r"\s*[&+]\s*", " AND "),
    (r"[^A-Z0-9]+", " "),
    (r"^\s*THE\s+", ""),
    (r"(?:(?:^|\s+)(?:" + "|".join(LEGAL_SUFFIXES) + r"))+\s*$", ""),  # "Inc." alone -> empty
    (r"\s+", " "),
)

ADDRESS_WORDS = {
    "STREET": "ST", "ROAD": "RD", "DRIVE": "DR", "AVENUE": "AVE", "AV": "AVE",
    "BOULEVARD": "BLVD", "LANE": "LN", "COURT": "CT", "HIGHWAY": "HWY", "SUITE": "STE",
    "PLACE": "PL", "PARKWAY": "PKWY", "CIRCLE": "CIR", "TERRACE": "TER", "TRAIL": "TRL",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "APARTMENT": "APT",
    "FLOOR": "FL", "BUILDING": "BLDG", "POST OFFICE BOX": "PO BOX", "P O BOX": "PO BOX",
}  # fmt: skip

ADDRESS_RULES: tuple[tuple[str, str], ...] = (
    # the NC DBE mailing address repeats ", CITY, ST 12345[-1234]" after the street
    (r",[^,]*,\s*[A-Z]{2}\s+[0-9]{5}(?:-[0-9]{4})?\s*$", ""),
    (r"[.'’]", ""),
    (r"#", " STE "),
    (r"[^A-Z0-9]+", " "),
    *((rf"\b{word}\b", short) for word, short in ADDRESS_WORDS.items()),
    (r"\s+", " "),
)


def _chain(expression: str, rules: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in rules:
        expression = (
            f"regexp_replace({expression}, {literal(pattern)}, {literal(replacement)}, 'g')"
        )
    return expression


def _upper(argument: str) -> str:
    return f"upper(strip_accents(coalesce({argument}, '')))"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``biz_*`` normalization macros on ``con`` (temporary, per connection)."""
    macros = {
        "biz_name(s)": f"nullif(trim({_chain(_upper('s'), NAME_RULES)}), '')",
        "biz_dba_part(s)": (
            f"nullif(regexp_extract({_upper('s')}, {literal(DBA_MARKER + '(.*)$')}, 1), '')"
        ),
        "biz_address(s)": f"nullif(trim({_chain(_upper('s'), ADDRESS_RULES)}), '')",
        "biz_house_number(s)": "nullif(regexp_extract(biz_address(s), '^([0-9]+)\\b', 1), '')",
        "biz_city(s)": (
            f"nullif(trim(regexp_replace(regexp_replace({_upper('s')}, '[^A-Z ]+', ' ', 'g'), "
            "'\\s+', ' ', 'g')), '')"
        ),
        "biz_zip5(s)": "nullif(left(regexp_replace(coalesce(s, ''), '[^0-9]', '', 'g'), 5), '')",
        "biz_phone(s)": (
            "CASE WHEN length(regexp_replace(coalesce(s, ''), '[^0-9]', '', 'g')) >= 10 THEN "
            "right(regexp_replace(coalesce(s, ''), '[^0-9]', '', 'g'), 10) END"
        ),
    }
    for signature, body in macros.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {signature} AS {body}")
