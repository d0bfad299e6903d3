"""The person model and its blocking on hand-made profiles: no single field vetoes a pair,
blocking reaches a pair whatever one field is wrong, and the SSN pass accepts swapped names."""

from __future__ import annotations

import datetime as dt

import pytest

from datalabs_pipelines.linkage.declaration import load_declaration
from datalabs_pipelines.linkage.deterministic import EDGES0, deterministic_edges
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.scoring import score_profiles
from datalabs_pipelines.linkage.training import M_FLOOR, floor_m

DECLARATION = load_declaration()
PROFILE_COLUMNS = DECLARATION.columns
PREDICTION_BLOCKING_RULES = DECLARATION.prediction_blocking_rules

BASE = {
    "first_name": "MARGARET",
    "last_name": "OKAFOR",
    "middle_name": None,
    "dob": dt.date(1984, 3, 7),
    "ssn": "219450731",
    "sex": "F",
    "zip": "60640",
    "employer": None,
}


def _profile(uid: str, **fields: object) -> dict:
    p = BASE | fields
    first, dob, ssn = p["first_name"], p["dob"], p["ssn"]
    canons = sorted({first, "MARGARET"} if first == "MAGGIE" else {first}) if first else None
    return p | {
        "unique_id": uid,
        "cluster0": uid,
        "first_canons": canons,
        "first_canon": "MARGARET" if first == "MAGGIE" else first,
        "name_key": "|".join(sorted((first, p["last_name"]))) if first and p["last_name"] else None,
        "dob_key": f"{dob.year}-{min(dob.month, dob.day)}-{max(dob.month, dob.day)}"
        if dob
        else None,
        "ssn_digits": "".join(sorted(ssn)) if ssn else None,
    }


def _load(con, profiles: list[dict]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PROFILES} (unique_id VARCHAR, cluster0 VARCHAR, "
        "first_name VARCHAR, first_canons VARCHAR[], first_canon VARCHAR, last_name VARCHAR, "
        "name_key VARCHAR, middle_name VARCHAR, dob DATE, dob_key VARCHAR, ssn VARCHAR, "
        "ssn_digits VARCHAR, sex VARCHAR, zip VARCHAR, employer VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {PROFILES} VALUES ({', '.join('?' * len(PROFILE_COLUMNS))})",
        [[p[c] for c in PROFILE_COLUMNS] for p in profiles],
    )


# one field wrong or missing at a time, as real files get them wrong
ONE_FIELD_WRONG = {
    "first_replaced": {"first_name": "PEGGY"},
    "first_missing": {"first_name": None},
    "nickname": {"first_name": "MAGGIE"},
    "surname_changed": {"last_name": "BELL"},
    "names_swapped": {"first_name": "OKAFOR", "last_name": "MARGARET"},
    "dob_missing": {"dob": None},
    "dob_month_off": {"dob": dt.date(1984, 4, 7)},
    "dob_year_off": {"dob": dt.date(1985, 3, 7)},
    "ssn_missing": {"ssn": None},
    "ssn_two_digits": {"ssn": "219459791"},
    "ssn_wholly_other": {"ssn": "530112233"},
    "zip_missing": {"zip": None},
}


@pytest.mark.parametrize("variant", ONE_FIELD_WRONG, ids=list(ONE_FIELD_WRONG))
def test_blocking_reaches_a_pair_whatever_one_field_is_wrong(con, variant):
    _load(con, [_profile("a"), _profile("b", **ONE_FIELD_WRONG[variant])])
    made = [
        rule
        for rule in PREDICTION_BLOCKING_RULES
        if con.execute(
            f"SELECT count(*) FROM {PROFILES} l JOIN {PROFILES} r "
            f"ON l.unique_id = 'a' AND r.unique_id = 'b' AND ({rule})"
        ).fetchone()[0]
    ]
    assert made, variant


def test_committed_model_has_no_level_below_the_floor():
    model = load_model()
    for comparison in model.splink_settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert level["m_probability"] >= M_FLOOR, comparison["output_column_name"]


def test_floor_m_raises_low_and_untrained_levels_only():
    settings = {
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True},
                    {"m_probability": 0.9},
                    {"m_probability": 1e-29},
                    {},
                ]
            }
        ]
    }
    levels = floor_m(settings, 1e-3)["comparisons"][0]["comparison_levels"]
    assert "m_probability" not in levels[0]
    assert [lv["m_probability"] for lv in levels[1:]] == [0.9, 1e-3, 1e-3]


def _filler(i: int) -> dict:
    """Someone unlike anyone else: term frequencies of the names come from the scored table,
    so the hand-made people need a crowd to be rare in."""
    letters = "".join(chr(65 + int(d)) for d in f"{i:04d}")
    return _profile(
        f"z{i}",
        first_name=f"Q{letters}",
        last_name=f"X{letters}",
        dob=dt.date(1930, 1, 1) + dt.timedelta(days=37 * i),
        ssn=f"7{i:04d}0001",
        zip=f"9{i:04d}",
    )


def _scores(con, profiles: list[dict]) -> dict[str, float]:
    _load(con, profiles + [_filler(i) for i in range(400)])
    score_profiles(con, load_model())
    rows = con.execute(
        "SELECT least(unique_id_l, unique_id_r) || greatest(unique_id_l, unique_id_r), "
        "match_probability FROM lk_profile_edges"
    ).fetchall()
    return dict(rows)


def test_no_single_field_vetoes_what_the_others_agree_on(con):
    threshold = load_model().threshold_match_probability
    scores = _scores(
        con,
        [
            _profile("a"),
            _profile("b", ssn="530112233"),  # someone else's SSN keyed in
            _profile("c", first_name="OKAFOR", last_name="MARGARET"),
            _profile("d", last_name="BELL", zip=None),  # married, moved
        ],
    )
    assert scores["ab"] >= threshold
    assert scores["ac"] >= threshold
    assert scores["ad"] >= threshold


def test_a_birth_date_one_unit_off_does_not_sink_agreeing_names(con):
    """Education records carry no SSN or ZIP: names and a birth date a year, a month or a day
    off (a keying error) are still one person."""
    threshold = load_model().threshold_match_probability
    bare = {"ssn": None, "zip": None}
    scores = _scores(
        con,
        [
            _profile("a"),
            _profile("b", dob=dt.date(1985, 3, 7), **bare),
            _profile("c", dob=dt.date(1984, 4, 7), **bare),
            _profile("d", dob=dt.date(1984, 3, 8), **bare),
        ],
    )
    assert min(scores["ab"], scores["ac"], scores["ad"]) >= threshold


def test_blocking_reaches_a_swapped_birth_date_with_a_name_typo(con):
    _load(con, [_profile("a"), _profile("b", dob=dt.date(1984, 7, 3), first_name="MARGERET")])
    assert con.execute(
        f"SELECT count(*) FROM {PROFILES} l JOIN {PROFILES} r ON l.unique_id = 'a' "
        f"AND r.unique_id = 'b' AND ({' OR '.join(f'({r})' for r in PREDICTION_BLOCKING_RULES)})"
    ).fetchone()[0]


def _made(con, left: str, right: str) -> bool:
    return bool(
        con.execute(
            f"SELECT count(*) FROM {PROFILES} l JOIN {PROFILES} r ON l.unique_id = '{left}' "
            f"AND r.unique_id = '{right}' "
            f"AND ({' OR '.join(f'({r})' for r in PREDICTION_BLOCKING_RULES)})"
        ).fetchone()[0]
    )


# two fields wrong: both names mistyped, in place or swapped, and no SSN to block on
BOTH_NAMES_MISTYPED = {
    "in_place": {"first_name": "MARGERET", "last_name": "OKAFRO"},
    "swapped": {"first_name": "OKAFRO", "last_name": "MARGERET"},
}


@pytest.mark.parametrize("names", BOTH_NAMES_MISTYPED.values(), ids=list(BOTH_NAMES_MISTYPED))
def test_blocking_reaches_both_names_mistyped_with_no_ssn_to_block_on(con, names):
    _load(con, [_profile("a"), _profile("b", ssn=None, **names)])
    assert _made(con, "a", "b")


# two fields wrong: a name missing and the other mistyped, or no date of birth and both mistyped
NAME_MISSING_OR_NO_DOB = {
    "first_missing_last_mistyped": {"first_name": None, "last_name": "OKAFRO"},
    "last_missing_first_mistyped": {"first_name": "MARGERET", "last_name": None},
    "dob_missing_both_mistyped": {"dob": None, "first_name": "MARGERET", "last_name": "OKAFRO"},
}


@pytest.mark.parametrize(
    "fields", NAME_MISSING_OR_NO_DOB.values(), ids=list(NAME_MISSING_OR_NO_DOB)
)
def test_blocking_reaches_a_missing_field_beside_a_mistyped_name(con, fields):
    _load(con, [_profile("a"), _profile("b", ssn=None, **fields)])
    assert _made(con, "a", "b")


def test_the_same_birth_date_and_an_initial_beside_a_missing_name_alone_make_no_pair(con):
    _load(con, [_profile("a"), _profile("b", first_name=None, last_name="OWENS", ssn=None)])
    assert not _made(con, "a", "b")


def test_both_names_mistyped_with_the_same_birth_date_link(con):
    scores = _scores(
        con, [_profile("a"), _profile("b", ssn=None, **BOTH_NAMES_MISTYPED["in_place"])]
    )
    assert scores["ab"] >= load_model().threshold_match_probability


def test_the_same_birth_date_and_initials_alone_make_no_pair(con):
    _load(con, [_profile("a"), _profile("b", first_name="MELISSA", last_name="OWENS", ssn=None)])
    assert not _made(con, "a", "b")


def test_two_people_sharing_a_surname_and_zip_stay_apart(con):
    threshold = load_model().threshold_match_probability
    scores = _scores(
        con,
        [
            _profile("a"),
            _profile("b", first_name="DAVID", dob=dt.date(1951, 11, 23), ssn="330224455", sex="M"),
        ],
    )
    assert scores.get("ab", 0.0) < threshold


def _ssn_edges(con, records: list[tuple]) -> set[tuple[str, str]]:
    """The deterministic pass of person.yaml over hand-made records (node, SSN, first name,
    its formal names, last name, date of birth, date-of-birth key)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_records (node0 VARCHAR, ssn VARCHAR, "
        "first_name VARCHAR, first_canons VARCHAR[], last_name VARCHAR, dob DATE, "
        "dob_key VARCHAR)"
    )
    con.executemany("INSERT INTO lk_records VALUES (?, ?, ?, ?, ?, ?, ?)", records)
    deterministic_edges(con, "lk_records", "node0", load_declaration().deterministic)
    return {tuple(sorted(e)) for e in con.execute(f"SELECT * FROM {EDGES0}").fetchall()}


def test_a_shared_ssn_is_corroborated_by_swapped_names(con):
    edges = _ssn_edges(
        con,
        [
            ("n1", "219450731", "MARGARET", ["MARGARET"], "OKAFOR", None, None),
            ("n2", "219450731", "OKAFOR", ["OKAFOR"], "MARGARET", None, None),
            ("n3", "219450731", "DAVID", ["DAVID"], "LINDQVIST", None, None),  # nothing shared
        ],
    )
    assert edges == {("n1", "n2")}


def test_a_shared_ssn_with_nothing_to_corroborate_joins_nothing(con):
    """Two records with one SSN and no name or date of birth: nothing corroborates, so they
    stay apart; with a date of birth (its day and month swapped on one) they join."""
    born, swapped = dt.date(1980, 3, 7), dt.date(1980, 7, 3)
    edges = _ssn_edges(
        con,
        [
            ("n1", "219450731", None, None, None, None, None),
            ("n2", "219450731", None, None, None, None, None),
            ("n3", "330224455", None, None, None, born, "1980-3-7"),
            ("n4", "330224455", None, None, None, swapped, "1980-3-7"),
            ("n5", "330224455", None, None, None, born, "1980-3-7"),
        ],
    )
    assert edges == {("n3", "n4"), ("n3", "n5")}
