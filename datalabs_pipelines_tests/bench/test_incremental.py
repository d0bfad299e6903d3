"""Pure parts of the incremental bench: which files arrive tonight, holding them back and
landing them, tonight's total, and the checksums that compare tonight with a full rebuild."""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines.bench.checksums import differing_tables, table_checksums
from datalabs_pipelines.bench.daemon import DaemonLaunch, RunSpan
from datalabs_pipelines.bench.incremental import (
    NoNight,
    Tonight,
    arriving,
    corrected_deliveries,
    corrections,
    hold_back,
    land,
)
from datalabs_pipelines.bench.workspace import BenchPaths

FILES = {
    "labor/ui_wages/ui_wages_2025Q3.txt": "q3",
    "labor/ui_wages/ui_wages_2025Q4.txt": "q4",
    "labor/ui_claims/ui_claims_2025Q4.csv": "claims",
    "human_services/snap_enrollment/snap_enrollment_2024.txt": "2024",
    "human_services/snap_enrollment/snap_enrollment_2025.txt": "2025",
}


def test_the_newest_wage_and_snap_files_wait_outside_landing_and_come_back(tmp_path):
    paths = BenchPaths(1, base=tmp_path)
    for relative, text in FILES.items():
        (paths.landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (paths.landing / relative).write_text(text)
    files = arriving(paths.landing)
    assert [d.name for d in files] == ["ui_wages_2025Q4.txt", "snap_enrollment_2025.txt"]
    held = hold_back(paths, files)
    left = sorted(str(p.relative_to(paths.landing)) for p in paths.landing.rglob("*.*"))
    assert left == sorted(set(FILES) - {str(d.path.relative_to(paths.landing)) for d in files})
    assert all(waiting.read_text() in {"q4", "2025"} for waiting in held.values())
    land(held)
    assert {str(p.relative_to(paths.landing)) for p in paths.landing.rglob("*.*")} == set(FILES)
    assert all((paths.landing / r).read_text() == text for r, text in FILES.items())


def test_other_extracts_can_arrive_and_a_night_needs_a_file_of_each(tmp_path):
    paths = BenchPaths(1, base=tmp_path)
    for relative, text in FILES.items():
        (paths.landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (paths.landing / relative).write_text(text)
    # an extract's only file makes a night too: its first delivery arrives
    files = arriving(paths.landing, ("ui_claims", "ui_wages"))
    assert [d.name for d in files] == ["ui_claims_2025Q4.csv", "ui_wages_2025Q4.txt"]
    assert arriving(paths.landing, ()) == []  # a quiet night: nothing arrives
    with pytest.raises(NoNight, match="no contract names wages"):
        arriving(paths.landing, ("wages",))
    with pytest.raises(NoNight, match="no file in .* for payments"):
        arriving(paths.landing, ("ui_wages", "payments"))


def test_a_correction_drops_one_line_in_a_hundred_of_an_earlier_file_and_puts_it_back(tmp_path):
    paths = BenchPaths(1, base=tmp_path)
    wages = [f"{i:09d}WAGES\n".encode() for i in range(250)]  # fixed width: no header
    claims = [b"claim_id,claim_filed_date\n"] + [f"C{i},2025-10-01\n".encode() for i in range(150)]
    files = {
        "labor/ui_wages/ui_wages_2025Q2.txt": b"old",
        "labor/ui_wages/ui_wages_2025Q3.txt": b"".join(wages),
        "labor/ui_wages/ui_wages_2025Q4.txt": b"new",
        "labor/ui_claims/ui_claims_2025Q4.csv": b"".join(claims),
        "procurement/certified_firms/certified_firms_vbp_2025.xlsx": b"PK",
    }
    for relative, content in files.items():
        (paths.landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (paths.landing / relative).write_bytes(content)
    tonight = arriving(paths.landing, ("ui_wages",))  # the 2025Q4 quarter
    fixes = corrected_deliveries(paths.landing, ("ui_wages", "ui_claims"), tonight)
    assert [d.name for d in fixes] == ["ui_wages_2025Q3.txt", "ui_claims_2025Q4.csv"]
    with corrections(paths, fixes) as dropped:
        assert dropped == {"ui_wages_2025Q3.txt": 3, "ui_claims_2025Q4.csv": 2}
        corrected = (paths.landing / "labor/ui_wages/ui_wages_2025Q3.txt").read_bytes()
        assert corrected == b"".join(w for i, w in enumerate(wages) if i not in (1, 101, 201))
        kept = (paths.landing / "labor/ui_claims/ui_claims_2025Q4.csv").read_bytes()
        assert kept == b"".join(c for i, c in enumerate(claims) if i not in (2, 102))  # header
    for relative, content in files.items():  # the sample as it was
        assert (paths.landing / relative).read_bytes() == content
    assert not (paths.root / "corrected").exists()
    with pytest.raises(NoNight, match="no earlier file .* for ui_claims"):
        corrected_deliveries(paths.landing, ("ui_claims",), arriving(paths.landing, ("ui_claims",)))
    with pytest.raises(NoNight, match="workbook.*certified_firms"):
        corrected_deliveries(paths.landing, ("certified_firms",), [])


def _span(status: str, created: float, ended: float | None) -> RunSpan:
    return RunSpan("r", status, created, created + 1, ended)


def test_tonight_covers_every_run_once_and_is_ok_only_when_all_succeeded():
    nightly = DaemonLaunch(_span("SUCCESS", 100, 160), cpu_seconds=50, peak_tree_rss_bytes=1)
    night = Tonight([_span("SUCCESS", 0, 5), _span("SUCCESS", 10, 12)], nightly)
    assert night.seconds == 5 + 2 + 60 and night.ok
    # two loads created together, the second started while the first worked: 0..7, not 5 + 7
    overlapping = Tonight([_span("SUCCESS", 0, 5), _span("SUCCESS", 0.5, 7)], nightly)
    assert overlapping.seconds == 7 + 60
    inside = Tonight([_span("SUCCESS", 0, 9), _span("SUCCESS", 2, 4)], nightly)
    assert inside.seconds == 9 + 60
    assert Tonight([], nightly).seconds == 60  # a quiet night: the nightly run alone
    assert not Tonight([_span("FAILURE", 0, 5)], nightly).ok
    assert Tonight([_span("STARTED", 0, None)], nightly).seconds is None


def test_checksums_see_changed_rows_and_leave_out_named_columns(tmp_path):
    left, right = tmp_path / "left.duckdb", tmp_path / "right.duckdb"
    for path, key in ((left, "P1"), (right, "P2")):
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE SCHEMA integrated")
            con.execute("CREATE TABLE integrated.facts (person_key VARCHAR, n INT)")
            con.execute("INSERT INTO integrated.facts VALUES (?, 1), ('P9', 2)", [key])
            con.execute("CREATE TABLE main.other (n INT)")
    assert differing_tables(table_checksums(left), table_checksums(right)) == ["integrated.facts"]
    same = [table_checksums(p, ("integrated",), ("person_key",)) for p in (left, right)]
    assert list(same[0]) == ["integrated.facts"] and differing_tables(*same) == []
    with duckdb.connect(str(right)) as con:
        con.execute("UPDATE integrated.facts SET n = 3 WHERE n = 2")
    changed = table_checksums(right, ("integrated",), ("person_key",))
    assert differing_tables(same[0], changed) == ["integrated.facts"]
