"""What the probabilistic pass compares, and which pairs it compares at all.

The columns are those of the profile table built in ``profiles.py``. Comparison levels are
Splink 5 settings written as plain dicts, exactly as they appear in the committed model file.
Every prediction blocking rule keeps out pairs the deterministic pass already joined
(``cluster0``), and each one keys on something that grows with the population (a date of
birth, an employer, a ZIP code), so the work stays close to linear in the number of records.
"""

from __future__ import annotations

from typing import Any

NICKNAME_LEVEL = 'list_has_any("first_canons_l", "first_canons_r")'
# a keying error in one part of the date: two of year, month and day agree
ONE_PART_OFF = (
    '(year("dob_l") = year("dob_r"))::INT + (month("dob_l") = month("dob_r"))::INT '
    '+ (day("dob_l") = day("dob_r"))::INT = 2'
)
SWAPPED_NAMES = '"first_name_l" = "last_name_r" AND "last_name_l" = "first_name_r"'
SWAPPED_DOB = (
    'year("dob_l") = year("dob_r") AND month("dob_l") = day("dob_r") '
    'AND day("dob_l") = month("dob_r")'
)


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(sql: str, label: str, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:
        level |= {"tf_adjustment_column": tf, "tf_adjustment_weight": 1.0}
    return level


ELSE = {"sql_condition": "ELSE", "label_for_charts": "all other comparisons"}


def _jw(column: str, threshold: float) -> dict[str, Any]:
    return _level(
        f'jaro_winkler_similarity("{column}_l", "{column}_r") >= {threshold}',
        f"Jaro-Winkler >= {threshold}",
    )


COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "first_name",
        "comparison_description": "first name: exact, nickname of the same formal name, fuzzy",
        "comparison_levels": [
            _null("first_name"),
            _level('"first_name_l" = "first_name_r"', "exact", tf="first_name"),
            _level(NICKNAME_LEVEL, "same formal name (nickname)"),
            _level(SWAPPED_NAMES, "first and last name swapped"),
            _jw("first_name", 0.92),
            _jw("first_name", 0.8),
            ELSE,
        ],
    },
    {
        "output_column_name": "last_name",
        "comparison_description": "last name: exact, fuzzy, one part of a compound surname",
        "comparison_levels": [
            _null("last_name"),
            _level('"last_name_l" = "last_name_r"', "exact", tf="last_name"),
            # the first-name comparison weighs a swap once; counted here too it would double
            _level(SWAPPED_NAMES, "first and last name swapped (weighed by first name)")
            | {"is_null_level": True},
            _jw("last_name", 0.92),
            _level(
                "list_has_any(string_split(\"last_name_l\", ' '), "
                "string_split(\"last_name_r\", ' '))",
                "shares a surname part",
            ),
            _jw("last_name", 0.8),
            ELSE,
        ],
    },
    {
        "output_column_name": "middle_name",
        "comparison_description": "middle name or initial",
        "comparison_levels": [
            _null("middle_name"),
            _level('"middle_name_l" = "middle_name_r"', "exact"),
            _level('left("middle_name_l", 1) = left("middle_name_r", 1)', "same initial"),
            ELSE,
        ],
    },
    {
        "output_column_name": "dob",
        "comparison_description": (
            "date of birth: exact, day and month transposed, one part off, same year"
        ),
        "comparison_levels": [
            _null("dob"),
            _level('"dob_l" = "dob_r"', "exact"),
            _level(SWAPPED_DOB, "day and month swapped"),
            _level(ONE_PART_OFF, "day, month or year alone differs"),
            _level('abs(date_diff(\'day\', "dob_l", "dob_r")) <= 31', "within a month"),
            _level('year("dob_l") = year("dob_r")', "same year"),
            ELSE,
        ],
    },
    {
        "output_column_name": "ssn",
        "comparison_description": "valid SSN: exact, one transposition or keying error",
        "comparison_levels": [
            _null("ssn"),
            _level('"ssn_l" = "ssn_r"', "exact"),
            _level('damerau_levenshtein("ssn_l", "ssn_r") <= 1', "one edit or transposition"),
            _level('damerau_levenshtein("ssn_l", "ssn_r") <= 2', "two edits"),
            ELSE,
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_description": "sex (M or F; unknown is null)",
        "comparison_levels": [_null("sex"), _level('"sex_l" = "sex_r"', "exact"), ELSE],
    },
    {
        "output_column_name": "zip",
        "comparison_description": "5-digit ZIP code",
        "comparison_levels": [_null("zip"), _level('"zip_l" = "zip_r"', "exact"), ELSE],
    },
]

_NOT_JOINED = "l.cluster0 <> r.cluster0"

# Together these reach a true pair when any one field is missing or wrong: each field is left
# out by at least one rule (dob: SSN, ZIP + surname, employer; SSN: the date-of-birth rules;
# surname: date of birth + first name, SSN; first name: date of birth + surname, SSN; both
# names swapped: the swap rule, SSN).
PREDICTION_BLOCKING_RULES: list[str] = [
    f"l.dob_key = r.dob_key AND l.last_name = r.last_name AND {_NOT_JOINED}",
    f"l.dob_key = r.dob_key AND l.first_canon = r.first_canon AND {_NOT_JOINED}",
    "l.dob_key = r.dob_key AND left(l.first_name, 1) = left(r.first_name, 1) "
    f"AND left(l.last_name, 1) = left(r.last_name, 1) AND {_NOT_JOINED}",
    # a day or month off: birth year with both names' first two letters
    "year(l.dob) = year(r.dob) AND left(l.first_name, 2) = left(r.first_name, 2) "
    f"AND left(l.last_name, 2) = left(r.last_name, 2) AND {_NOT_JOINED}",
    f"l.ssn = r.ssn AND {_NOT_JOINED}",
    # an SSN with two adjacent digits transposed keeps its area (first 3) or its serial (last 4)
    "l.ssn_digits = r.ssn_digits AND left(l.ssn, 3) = left(r.ssn, 3) "
    f"AND left(l.last_name, 1) = left(r.last_name, 1) AND {_NOT_JOINED}",
    "l.ssn_digits = r.ssn_digits AND right(l.ssn, 4) = right(r.ssn, 4) "
    f"AND left(l.last_name, 1) = left(r.last_name, 1) AND {_NOT_JOINED}",
    # one or two digits mistyped leave the area and group (first 5) or the serial (last 4)
    f"left(l.ssn, 5) = left(r.ssn, 5) AND l.first_canon = r.first_canon AND {_NOT_JOINED}",
    f"left(l.ssn, 5) = left(r.ssn, 5) AND l.last_name = r.last_name AND {_NOT_JOINED}",
    f"right(l.ssn, 4) = right(r.ssn, 4) AND l.first_canon = r.first_canon AND {_NOT_JOINED}",
    f"right(l.ssn, 4) = right(r.ssn, 4) AND l.last_name = r.last_name AND {_NOT_JOINED}",
    f"l.first_name = r.last_name AND l.last_name = r.first_name AND {_NOT_JOINED}",
    f"l.employer = r.employer AND l.last_name = r.last_name AND {_NOT_JOINED}",
    f"l.employer = r.employer AND l.first_canon = r.first_canon AND {_NOT_JOINED}",
    f"l.zip = r.zip AND l.last_name = r.last_name AND {_NOT_JOINED}",
]

# Rules that admit (almost) only true matches: for the prior that two profiles match.
DETERMINISTIC_RULES: list[str] = [
    "l.ssn = r.ssn AND l.dob = r.dob",
    "l.first_name = r.first_name AND l.last_name = r.last_name AND l.dob = r.dob",
]

PROFILE_COLUMNS = (
    "unique_id",
    "cluster0",
    "first_name",
    "first_canons",
    "first_canon",
    "last_name",
    "middle_name",
    "dob",
    "dob_key",
    "ssn",
    "ssn_digits",
    "sex",
    "zip",
    "employer",
)


def base_settings() -> dict[str, Any]:
    """Untrained Splink settings: the comparisons and blocking rules above."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": PREDICTION_BLOCKING_RULES,
        "additional_columns_to_retain": ["cluster0"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "probability_two_random_records_match": 1e-4,
    }
