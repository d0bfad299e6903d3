"""Error profiles: each error changes what it says, is tagged, and the default adds nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datalabs_pipelines.generator import GenerationSummary, generate
from datalabs_pipelines.generator.errors import (
    ErrorProfile,
    dob_error,
    firm_errors,
    person_errors,
    profile,
    short_form,
    ssn_errors,
    ssn_keying_error,
)
from datalabs_pipelines.generator.identifiers import is_valid_ssn
from datalabs_pipelines.generator.timeline import ymd
from datalabs_pipelines_tests.generator.conftest import TINY_SCALE, TINY_SEED


def _people(n: int) -> tuple[np.ndarray, ...]:
    first = np.array(["Christopher"] * n, dtype=object)
    middle = np.array(["Alan"] * n, dtype=object)
    last = np.array(["Okafor"] * n, dtype=object)
    dob = np.array(["1980-03-07"] * n, dtype="datetime64[D]")
    return first, middle, last, dob, np.full(n, "", dtype=object)


def test_default_profile_adds_nothing_and_heavy_scales() -> None:
    assert not profile("default").active
    heavy = profile("heavy")
    assert heavy.active
    assert profile("heavy", 2.0).name_swap == pytest.approx(2 * heavy.name_swap)
    assert profile("heavy", 1e6).ssn_keying == 1.0
    with pytest.raises(ValueError):
        profile("nonsense")


def test_name_swap_exchanges_first_and_last_and_tags_it() -> None:
    first, middle, last, dob, defects = _people(5)
    person_errors(
        np.random.default_rng(0), ErrorProfile(name_swap=1.0), first, middle, last, dob, defects
    )
    assert list(first) == ["Okafor"] * 5 and list(last) == ["Christopher"] * 5
    assert all(d == "name_swap" for d in defects)


def test_first_name_replaced_by_middle_name_or_a_short_form() -> None:
    first, middle, last, dob, defects = _people(200)
    person_errors(
        np.random.default_rng(1),
        ErrorProfile(first_replaced=1.0),
        first,
        middle,
        last,
        dob,
        defects,
    )
    assert set(first) == {"Alan", "Chri"}
    assert all(d == "first_replaced" for d in defects)
    assert short_form("Bo") == "Bo" and short_form("Marcus") == "Marc"


def test_surname_change_dob_errors_and_missing_fields_are_tagged() -> None:
    first, middle, last, dob, defects = _people(300)
    rates = ErrorProfile(surname_change=0.5, dob_error=0.3, dob_missing=0.2, field_missing=0.2)
    person_errors(np.random.default_rng(2), rates, first, middle, last, dob, defects)
    tags = [set(d.split(";")) for d in defects]
    changed = np.array(["surname_change" in t for t in tags])
    assert changed.any() and set(last[~changed]) <= {"Okafor", ""}
    assert all(np.isnat(dob[["dob_missing" in t for t in tags]]))
    err = np.array(["dob_error" in t and "dob_missing" not in t for t in tags])
    assert err.any() and not (dob[err] == np.datetime64("1980-03-07")).any()
    blank = (first == "") | (last == "")
    assert all("field_missing" in t for t, b in zip(tags, blank, strict=True) if b)


def test_required_fields_are_not_blanked_and_dob_left_alone_when_not_delivered() -> None:
    first, middle, last, dob, defects = _people(100)
    rates = ErrorProfile(field_missing=1.0, dob_error=1.0, dob_missing=1.0)
    person_errors(
        np.random.default_rng(3), rates, first, middle, last, dob, defects,
        with_dob=False, blank_names=False,
    )  # fmt: skip
    assert (first != "").all() and (last != "").all() and not np.isnat(dob).any()
    assert (defects == "").all()


def test_dob_error_changes_one_part_or_swaps_day_and_month() -> None:
    dates = np.array(["1990-02-05"] * 300, dtype="datetime64[D]")
    out = dob_error(np.random.default_rng(4), dates)
    y, m, d = ymd(out)
    swapped = (m == 5) & (d == 2) & (y == 1990)
    month_off = (y == 1990) & np.isin(m, [1, 3]) & (d == 5)
    year_off = np.isin(y, [1989, 1991]) & (m == 2) & (d == 5)
    assert (swapped | month_off | year_off).all()
    assert swapped.any() and month_off.any() and year_off.any()


def test_ssn_keying_error_differs_in_at_most_two_digits() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        new = ssn_keying_error(rng, "219450731")
        differ = sum(a != b for a, b in zip(new, "219450731", strict=True))
        assert len(new) == 9 and (differ <= 2 or sorted(new) == sorted("219450731"))


def test_required_ssn_stays_valid_and_present() -> None:
    ssn = np.array(["001010001"] * 300, dtype=object)
    defects = np.full(300, "", dtype=object)
    ssn_errors(
        np.random.default_rng(6),
        ErrorProfile(ssn_keying=1.0, field_missing=1.0),
        ssn,
        defects,
        blank=False,
    )
    assert all(is_valid_ssn(s) for s in ssn)
    assert all((d == "ssn_keying") == (s != "001010001") for s, d in zip(ssn, defects, strict=True))


def test_firm_errors_po_box_dba_typo_and_owner_name() -> None:
    n = 50
    name = np.array(["Daniels Tours LLC"] * n, dtype=object)
    dba = np.array(["Daniels Adventure Travel"] * n, dtype=object)
    street = np.array(["12 Main St"] * n, dtype=object)
    phone = np.array(["3125550100"] * n, dtype=object)
    defects = np.full(n, "", dtype=object)
    rates = ErrorProfile(remit_po_box=1.0, dba_typo=1.0, owner_name=1.0)
    firm_errors(np.random.default_rng(7), rates, name, dba, street, phone, defects)
    assert all("box" in s.lower() for s in street)
    assert all(p != "3125550100" for p in phone)
    assert all(d != "Daniels Adventure Travel" for d in dba)
    assert all(v != "Daniels Tours LLC" for v in name)
    assert all(set(d.split(";")) == {"remit_po_box", "dba_typo", "owner_name"} for d in defects)


def test_heavy_profile_tags_the_truth_and_default_matches_plain(
    tiny: GenerationSummary, tmp_path: Path
) -> None:
    heavy = generate(TINY_SCALE, TINY_SEED, tmp_path / "h", progress=False, errors=profile("heavy"))
    truth = (heavy.out / "truth" / "person_records.csv").read_text()
    for tag in ("name_swap", "surname_change", "ssn_keying", "first_replaced"):
        assert tag in truth
    plain = (tiny.out / "truth" / "person_records.csv").read_text()
    assert "name_swap" not in plain
    # the heavy errors draw from streams of their own: the people and firms are the same
    same = ("truth/people.csv", "truth/firms.csv")
    for name in same:
        assert (tiny.out / name).read_bytes() == (heavy.out / name).read_bytes()
