"""The synthetic-data generator: determinism, layout, truth and shared population."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datalabs_pipelines.generator import EXTRACTS, GenerationSummary, generate
from datalabs_pipelines.generator.identifiers import is_valid_ssn, ssns
from datalabs_pipelines.generator.population import build_population
from datalabs_pipelines_tests.generator.conftest import TINY_SCALE, TINY_SEED

AGENCY_OF = {e: a for a, extracts in EXTRACTS.items() for e in extracts}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_and_scale_give_byte_identical_files(
    tiny: GenerationSummary, tmp_path: Path
) -> None:
    again = generate(TINY_SCALE, TINY_SEED, tmp_path, progress=False)
    first, second = _files(tiny.out), _files(again.out)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_another_seed_gives_other_data(tiny: GenerationSummary, tmp_path: Path) -> None:
    other = generate(TINY_SCALE, TINY_SEED + 1, tmp_path, progress=False)
    name = "truth/people.csv"
    assert _files(tiny.out)[name] != _files(other.out)[name]


def test_every_extract_folder_has_deliveries(tiny: GenerationSummary) -> None:
    for agency, extracts in EXTRACTS.items():
        for extract in extracts:
            folder = tiny.out / "raw" / agency / extract
            assert any(folder.iterdir()), f"{folder} is empty"
    assert {p.name for p in (tiny.out / "truth").iterdir()} >= {
        "person_records.csv",
        "firm_records.csv",
        "firms.csv",
        "people.csv",
        "README.md",
        "unparseable_lines.csv",
    }


def test_duplicate_delivery_is_byte_identical(tiny: GenerationSummary) -> None:
    folder = tiny.out / "raw" / "procurement" / "payments"
    original = folder / "payments_2024Q2.csv"
    assert original.read_bytes() == (folder / "payments_2024Q2_resend.csv").read_bytes()


def _line(path: Path, number: int, encoding: str) -> str:
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh, start=1):
            if i == number:
                return raw.decode(encoding, errors="replace").rstrip("\r\n")
    raise AssertionError(f"{path} has no line {number}")


def test_truth_lines_point_at_the_persons_records(tiny: GenerationSummary) -> None:
    truth = pd.read_csv(tiny.out / "truth" / "person_records.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(
        tiny.out / "truth" / "people.csv", dtype=str, keep_default_na=False
    ).set_index("person_id")
    clean = truth[truth["defect"] == ""]
    checks = {  # extract -> (encoding, what the line must contain)
        "ui_wages": ("ascii", lambda p: p["ssn"]),
        "snap_enrollment": ("latin-1", lambda p: p["last_name"].upper()),
        "medicaid_enrollment": ("latin-1", lambda p: p["last_name"].upper()),
        "k12_enrollment": ("utf-8", lambda p: p["last_name"]),
        "postsecondary_enrollment": ("utf-8", lambda p: p["dob"]),
        "ui_claims": ("utf-8", lambda p: p["dob"]),
    }
    for extract, (encoding, expected) in checks.items():
        rows = clean[clean["extract"] == extract].head(25)
        assert len(rows), extract
        for r in rows.itertuples():
            path = tiny.out / "raw" / AGENCY_OF[extract] / extract / r.delivery_file
            text = _line(path, int(r.line_number), encoding)
            assert expected(people.loc[r.person_id]) in text, (extract, r.line_number, text)


def test_truth_points_at_vendor_rows_of_the_firm(tiny: GenerationSummary) -> None:
    truth = pd.read_csv(tiny.out / "truth" / "firm_records.csv", dtype=str, keep_default_na=False)
    firms = pd.read_csv(
        tiny.out / "truth" / "firms.csv", dtype=str, keep_default_na=False
    ).set_index("firm_id")
    rows = truth[(truth["extract"] == "vendor_master") & (truth["defect"] == "")].head(25)
    for r in rows.itertuples():
        path = tiny.out / "raw" / "procurement" / "vendor_master" / r.delivery_file
        values = next(csv.reader([_line(path, int(r.line_number), "utf-8")]))
        assert values[1] == firms.loc[r.firm_id, "legal_name"]


def test_unparseable_lines_are_logged_for_text_extracts(tiny: GenerationSummary) -> None:
    broken = pd.read_csv(tiny.out / "truth" / "unparseable_lines.csv")
    assert set(broken["extract"]) >= {"ui_wages", "payments", "snap_enrollment"}
    assert set(broken["damage"]) >= {"field_count", "short_line", "bad_json"}
    truth = pd.read_csv(tiny.out / "truth" / "person_records.csv", dtype=str, keep_default_na=False)
    flagged = truth[truth["defect"].str.contains("unparseable")]
    logged = set(zip(broken["delivery_file"], broken["line_number"].astype(str), strict=True))
    assert set(zip(flagged["delivery_file"], flagged["line_number"], strict=True)) <= logged


@pytest.mark.parametrize(
    ("ssn", "valid"),
    [
        ("123-45-6780", True),
        ("001010001", True),
        ("899-99-9999", True),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("900-12-3456", False),
        ("123-00-4567", False),
        ("123-45-0000", False),
        ("078-05-1120", False),
        ("12345678", False),
        ("", False),
    ],
)
def test_ssn_rules(ssn: str, valid: bool) -> None:
    assert is_valid_ssn(ssn) is valid


def test_generated_ssns_are_valid_and_distinct() -> None:
    values = ssns(np.random.default_rng(3), 20_000)
    assert len(set(values)) == len(values)
    assert all(is_valid_ssn(v) for v in values)
    people = build_population(5, 2_000).people
    present = people["ssn"][people["ssn"] != ""]
    assert all(is_valid_ssn(v) for v in present)
    assert 0.01 < (people["ssn"] == "").mean() < 0.06


def test_people_appear_across_agencies(tiny: GenerationSummary) -> None:
    truth = pd.read_csv(tiny.out / "truth" / "person_records.csv", dtype=str, keep_default_na=False)
    truth["agency"] = truth["extract"].map(AGENCY_OF)
    agencies = truth.groupby("person_id")["agency"].nunique()
    assert (agencies >= 3).sum() >= 3
    assert set(truth["agency"]) == {"human_services", "labor", "education"}
