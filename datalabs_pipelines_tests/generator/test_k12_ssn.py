"""K-12 records carry SSNs for a chosen share of students, and none by default."""

from __future__ import annotations

import csv
import filecmp
from pathlib import Path

import pytest

from datalabs_pipelines.generator import GenerationSummary, generate
from datalabs_pipelines_tests.generator.conftest import TINY_SCALE, TINY_SEED


def _k12_rows(out: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((out / "raw" / "education" / "k12_enrollment").glob("*.csv")):
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            rows += list(csv.DictReader(f))
    return rows


def test_no_share_means_no_ssn_column(tiny: GenerationSummary) -> None:
    assert all("ssn" not in row for row in _k12_rows(tiny.out))


def test_a_share_of_students_carry_one_ssn_in_every_year(
    tiny: GenerationSummary, tmp_path: Path
) -> None:
    generate(TINY_SCALE, TINY_SEED, tmp_path, progress=False, k12_ssn_share=0.6)
    rows = [
        r
        for r in _k12_rows(tmp_path)
        if (r.get("student_id") or "").isdigit() and r.get("ssn") is not None
    ]
    by_student: dict[str, set[str]] = {}
    for row in rows:
        by_student.setdefault(row["student_id"], set()).add(row["ssn"])
    # one SSN (or none) per student across every year's file
    assert all(len(values) == 1 for values in by_student.values())
    with_ssn = sum(1 for values in by_student.values() if values != {""})
    assert 0.45 < with_ssn / len(by_student) < 0.75  # 0.6 of students, fewer without an SSN
    # nothing else changes: the other agencies' files are the default sample's
    other = tiny.out / "raw" / "labor" / "ui_wages"
    assert not filecmp.dircmp(other, tmp_path / "raw" / "labor" / "ui_wages").diff_files


def test_share_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="k12_ssn_share"):
        generate(TINY_SCALE, TINY_SEED, tmp_path, progress=False, k12_ssn_share=1.5)
