"""A night's staging candidate is a delta (issue 20.1), checked on the whole table (20.3).

The candidate holds only the rows of the new or changed deliveries and of the older lines that
share a duplicate key with them; promotion deletes the rows they replace and inserts them. The
expectations run on the table promotion would leave, so a check that needs the whole table
(uniqueness across deliveries, row count, a share) fails as it would from scratch, and every
check's outcome equals a from-scratch build's. A rejected night leaves the live tables and the
staged lines as they were, and the next night still equals a build from scratch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from datalabs_pipelines.bench.checksums import differing_tables
from datalabs_pipelines.candidates import candidate
from datalabs_pipelines.cleaning.staging import (
    StagingResult,
    build_candidates,
    keep_live_table,
    promote,
    staging_table,
)
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.ledger import withdraw
from datalabs_pipelines.quality.expectations import Outcome, evaluate
from datalabs_pipelines.warehouse import qualified
from datalabs_pipelines_tests.cleaning.test_staging_by_delivery import (
    DELIVERIES,
    HEADER,
    KEY,
    LINE_1,
    from_scratch,
    load,
    staged_sums,
)

ON = dt.date(2026, 6, 1)
# D repeats A's first record (same person and start) with another benefit: not an identical
# line, so not collapsed; alone it is unique, with A it is not.
REPEATS_A = HEADER + LINE_1.replace("$250.00", "$300.00")
OUT_OF_RANGE = HEADER + "6|Kim|Ann|05/05/1985|456789012|011|02/01/2025||$99999\n"


def checked_night(database: Path, contract: Contract) -> tuple[StagingResult, list[Outcome]]:
    """What the staging asset does: build, check what promotion would leave, then promote
    or keep the live tables."""
    with duckdb.connect(str(database)) as con:
        staged = build_candidates(con, contract, KEY)
    outcomes = evaluate(database, staged.checked, contract, on=ON)
    with duckdb.connect(str(database)) as con:
        if any(o.severity == "error" and not o.passed for o in outcomes):
            keep_live_table(con, contract)
        else:
            promote(con, contract)
    return staged, outcomes


def scratch_outcomes(
    tmp_path: Path, contract: Contract, files: dict[str, str]
) -> tuple[dict[str, str], list[Outcome]]:
    sums, staged = from_scratch(tmp_path, contract, files)  # promoted unchecked
    database = max(tmp_path.glob("scratch-*.duckdb"), key=lambda p: p.stat().st_mtime)
    return sums, evaluate(database, qualified(staging_table(contract)), contract, on=ON)


def test_a_night_writes_only_what_changed(tmp_path, people_contract):
    night, folder = tmp_path / "night.duckdb", tmp_path / "landing"
    folder.mkdir()
    a, b, c = DELIVERIES
    load(night, people_contract, {a: DELIVERIES[a], b: DELIVERIES[b]}, folder)
    checked_night(night, people_contract)
    load(night, people_contract, {c: DELIVERIES[c]}, folder)
    with duckdb.connect(str(night)) as con:
        staged = build_candidates(con, people_contract, KEY)
        in_candidate = {
            d
            for (d,) in con.execute(
                "SELECT DISTINCT _delivery FROM "
                f"{qualified(candidate(staging_table(people_contract)))}"
            ).fetchall()
        }
        promote(con, people_contract)
    # C's rows, and B's line that C resends (its copies change); nothing of A
    assert in_candidate == {b, c}
    assert staged.checked.endswith("__candidate_whole")
    scratch, _ = from_scratch(tmp_path, people_contract, DELIVERIES)
    assert differing_tables(staged_sums(night), scratch) == []


def test_checks_see_the_whole_table_and_a_rejected_night_is_retried(tmp_path, people_contract):
    night, folder = tmp_path / "night.duckdb", tmp_path / "landing"
    folder.mkdir()
    load(night, people_contract, DELIVERIES, folder)
    _, first = checked_night(night, people_contract)
    assert all(o.passed for o in first if o.severity == "error")
    live = staged_sums(night)

    # uniqueness across deliveries: D alone is unique, with A it is not
    tonight = {**DELIVERIES, "people_d.txt": REPEATS_A}
    load(night, people_contract, {"people_d.txt": REPEATS_A}, folder)
    staged, outcomes = checked_night(night, people_contract)
    assert staged.lines.typed == ("people_d.txt",)
    failed = {o.name for o in outcomes if not o.passed}
    assert any("unique" in name for name in failed), failed
    _, expected = scratch_outcomes(tmp_path, people_contract, tonight)
    assert outcomes == expected  # counts, shares and sample records as from scratch
    assert staged_sums(night) == live  # rejected: live tables and staged lines unchanged

    # a row-level check on the new delivery's own rows
    with duckdb.connect(str(night)) as con:
        withdraw(con, people_contract, "people_d.txt", reason="test")
    load(night, people_contract, {"people_e.txt": OUT_OF_RANGE}, folder)
    _, outcomes = checked_night(night, people_contract)
    assert [o.name for o in outcomes if not o.passed and o.severity == "error"] == [
        next(o.name for o in outcomes if "between" in o.name)
    ]
    tonight = {**DELIVERIES, "people_e.txt": OUT_OF_RANGE}
    _, expected = scratch_outcomes(tmp_path, people_contract, tonight)
    assert outcomes == expected

    # the bad delivery withdrawn: the night after equals a build from scratch
    with duckdb.connect(str(night)) as con:
        withdraw(con, people_contract, "people_e.txt", reason="test")
    staged, outcomes = checked_night(night, people_contract)
    scratch, expected = scratch_outcomes(tmp_path, people_contract, DELIVERIES)
    assert differing_tables(staged_sums(night), scratch) == []
    assert outcomes == expected and all(o.passed for o in outcomes if o.severity == "error")


def test_a_rejected_first_night_leaves_empty_tables_and_the_next_equals_scratch(
    tmp_path, people_contract
):
    night, folder = tmp_path / "night.duckdb", tmp_path / "landing"
    folder.mkdir()
    bad = {**DELIVERIES, "people_e.txt": OUT_OF_RANGE}
    load(night, people_contract, bad, folder)
    _, outcomes = checked_night(night, people_contract)
    assert any(o.severity == "error" and not o.passed for o in outcomes)
    # the staging table, the identities and the staged lines exist, empty, for every asset
    with duckdb.connect(str(night)) as con:
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("staging.people", "pii.people_identities", "pii.people_staged_lines")
        }
    assert counts == dict.fromkeys(counts, 0)

    with duckdb.connect(str(night)) as con:
        withdraw(con, people_contract, "people_e.txt", reason="test")
    _, outcomes = checked_night(night, people_contract)
    scratch, expected = scratch_outcomes(tmp_path, people_contract, DELIVERIES)
    assert differing_tables(staged_sums(night), scratch) == []
    assert outcomes == expected
