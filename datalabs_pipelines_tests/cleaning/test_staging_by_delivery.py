"""Staging by delivery (issue 20.1 and 20.4): a run types only the deliveries that are new or
changed, and every staging table then equals a build from scratch over the same deliveries.

Hand-made deliveries of the fixture ``people`` contract (identifiers in the pii zone, a money
amount): B resends one of A's lines and holds a line twice, C resends a line of B, A holds a
short (quarantined) row and values that fail typing. One warehouse lives night after night
(A and B, then C, then B withdrawn, then A corrected); another is built from scratch over the
same deliveries each time, and their tables are compared by checksum.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.bench.checksums import differing_tables, table_checksums
from datalabs_pipelines.cleaning.lines import lines_table
from datalabs_pipelines.cleaning.staging import StagingResult, build_candidates, promote
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.ledger import withdraw
from datalabs_pipelines.ingestion.loading import QUARANTINE, load_delivery, reconcile
from datalabs_pipelines.warehouse import qualified

KEY = b"k" * 32
HEADER = "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT\n"
LINE_1 = "1|Muñoz|José|03/04/1980|123-45-6789|001|01/01/2024|06/30/2024|$250.00\n"
LINE_2 = "2|Smith|Bill|12/01/1975||003|02/01/2024||$1,200.50\n"
LINE_3 = "3|Lee|Kim|02/30/1990|987654321|001|04/01/2024|05/01/2024|abc\n"
LINE_4 = "4|Doe|Jane|01/02/1970|234567890|007|01/01/2025||$10.00\n"
DELIVERIES = {
    "people_a.txt": HEADER + LINE_1 + LINE_2 + "9|Short|Row\n" + LINE_3,
    "people_b.txt": HEADER + LINE_2 + LINE_4 + LINE_4,
    "people_c.txt": HEADER + LINE_4 + "5|Park|Min|11/11/1999|345678901|009|03/01/2025||$5\n",
}
CORRECTED_A = HEADER + LINE_1.replace("$250.00", "$275.00") + LINE_3
STAGED = ("staging.people", "pii.people_identities", "pii.people_staged_lines")


def land(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="latin-1")
    return path


def stage(database: Path, contract: Contract, key: bytes = KEY) -> StagingResult:
    with duckdb.connect(str(database)) as con:
        result = build_candidates(con, contract, key)
        promote(con, contract)
    return result


def load(database: Path, contract: Contract, files: dict[str, str], folder: Path) -> None:
    with duckdb.connect(str(database)) as con:
        for name, text in files.items():
            load_delivery(con, contract, land(folder, name, text), name)


def staged_sums(database: Path) -> dict[str, str]:
    """Checksums of the staging tables (load times and fingerprints' order left out)."""
    sums = table_checksums(database, ("staging", "pii"))
    return {table: sums[table] for table in STAGED}


def from_scratch(
    tmp_path: Path, contract: Contract, files: dict[str, str]
) -> tuple[dict[str, str], StagingResult]:
    database = tmp_path / f"scratch-{uuid.uuid4().hex}.duckdb"
    folder = tmp_path / "scratch-landing"
    folder.mkdir(exist_ok=True)
    load(database, contract, files, folder)
    result = stage(database, contract)
    return staged_sums(database), result


def assert_reconciles(database: Path, contract: Contract, deliveries: list[str]) -> None:
    """Records in each file = rows loaded + rows quarantined; the staged lines are the rows."""
    with duckdb.connect(str(database), read_only=True) as con:
        for delivery in deliveries:
            counts = reconcile(con, contract, delivery)
            assert counts["reconciles"], (delivery, counts)
            lines = con.execute(
                f"SELECT count(*) FROM {qualified(lines_table(contract))} WHERE _delivery = ?",
                [delivery],
            ).fetchone()[0]
            assert lines == counts["rows_loaded"], delivery


@pytest.mark.parametrize("duplicates", ["keep", "collapse", "collapse_resent"])
def test_each_night_equals_a_build_from_scratch(tmp_path, people_contract, duplicates):
    contract = people_contract.model_copy(update={"duplicates": duplicates})
    night, folder = tmp_path / "nightly.duckdb", tmp_path / "landing"
    folder.mkdir()
    a, b, c = DELIVERIES
    load(night, contract, {a: DELIVERIES[a], b: DELIVERIES[b]}, folder)
    first = stage(night, contract)
    assert first.lines.typed == (a, b)

    load(night, contract, {c: DELIVERIES[c]}, folder)
    tonight = stage(night, contract)
    assert (tonight.lines.typed, tonight.lines.reused, tonight.lines.retyped_all) == ((c,), 2, "")
    scratch, scratch_result = from_scratch(tmp_path, contract, DELIVERIES)
    assert differing_tables(staged_sums(night), scratch) == []
    assert tonight.collapsed == scratch_result.collapsed
    if duplicates != "keep":  # B's resent line, B's second copy (collapse only), C's resend
        assert tonight.collapsed and tonight.duplicates_removed > 0
    assert_reconciles(night, contract, [a, b, c])

    with duckdb.connect(str(night)) as con:
        withdraw(con, contract, b, reason="test")
    after_withdrawal = stage(night, contract)
    assert (after_withdrawal.lines.typed, after_withdrawal.lines.removed) == ((), (b,))
    assert after_withdrawal.lines.reused == 2
    scratch, scratch_result = from_scratch(tmp_path, contract, {a: DELIVERIES[a], c: DELIVERIES[c]})
    assert differing_tables(staged_sums(night), scratch) == []
    assert after_withdrawal.collapsed == scratch_result.collapsed

    load(night, contract, {a: CORRECTED_A}, folder)  # same name, new content
    corrected = stage(night, contract)
    assert (corrected.lines.typed, corrected.lines.reused) == ((a,), 1)
    scratch, _ = from_scratch(tmp_path, contract, {a: CORRECTED_A, c: DELIVERIES[c]})
    assert differing_tables(staged_sums(night), scratch) == []
    assert_reconciles(night, contract, [a, c])
    with duckdb.connect(str(night), read_only=True) as con:
        quarantined = con.execute(
            f"SELECT count(*) FROM {qualified(QUARANTINE.of(contract))} WHERE delivery = ?", [a]
        ).fetchone()[0]
    assert quarantined == 0  # the correction has no short row; the old one's went with it


def test_a_run_with_nothing_new_types_nothing(tmp_path, people_contract):
    database, folder = tmp_path / "w.duckdb", tmp_path / "landing"
    folder.mkdir()
    load(database, people_contract, DELIVERIES, folder)
    stage(database, people_contract)
    before = staged_sums(database)
    again = stage(database, people_contract)
    assert (again.lines.typed, again.lines.reused, again.lines.removed) == ((), 3, ())
    assert staged_sums(database) == before


def test_a_change_of_contract_key_or_typing_retypes_every_delivery(tmp_path, people_contract):
    database, folder = tmp_path / "w.duckdb", tmp_path / "landing"
    folder.mkdir()
    load(database, people_contract, DELIVERIES, folder)
    stage(database, people_contract)

    described = people_contract.model_copy(update={"description": "reworded"})
    retyped = stage(database, described)
    assert retyped.lines.typed == tuple(DELIVERIES) and retyped.lines.reused == 0
    assert retyped.lines.retyped_all == "contract changed"

    rekeyed = stage(database, described, key=b"q" * 32)
    assert rekeyed.lines.retyped_all == "key changed"
    with duckdb.connect(str(database), read_only=True) as con:
        stored = con.execute(
            f"SELECT DISTINCT _staged_with FROM {qualified(lines_table(people_contract))}"
        ).fetchall()
    assert all(KEY.hex() not in f and b"q".hex() * 32 not in f for (f,) in stored)

    # a change that alters the staged lines: every line is typed again, as from scratch
    kept = described.model_copy(update={"duplicates": "keep"})
    result = stage(database, kept, key=KEY)
    assert "contract" in result.lines.retyped_all and "code" in result.lines.retyped_all
    scratch, _ = from_scratch(tmp_path, kept, DELIVERIES)
    assert differing_tables(staged_sums(database), scratch) == []


def test_the_staging_materialization_says_what_it_typed_and_reused(isolated_env, people_contract):
    """The UI shows, per run, how many deliveries were typed and how many reused."""
    import dagster as dg

    from datalabs_pipelines.cleaning.assets import build_staging_asset
    from datalabs_pipelines.warehouse import warehouse_resource

    staging = build_staging_asset(people_contract)
    key = dg.AssetKey(["staging", people_contract.agency, people_contract.name])
    folder = isolated_env / "landing" / people_contract.agency / people_contract.name
    resources = {"warehouse": warehouse_resource()}
    reports = []
    with dg.DagsterInstance.ephemeral() as instance:
        for night in ("people_2024.txt", "people_2025.txt", None):
            if night is not None:
                with duckdb.connect(str(isolated_env / "warehouse.duckdb")) as con:
                    load_delivery(con, people_contract, folder / night, night)
            assert dg.materialize([staging], instance=instance, resources=resources).success
            event = instance.get_latest_materialization_event(key)
            metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
            reports.append(
                (metadata["deliveries_typed"], metadata["deliveries_reused"], metadata["status"])
            )
    assert reports == [(1, 0, "loaded"), (1, 1, "loaded"), (0, 2, "loaded")]


def test_an_empty_store_follows_a_changed_contract(tmp_path, people_contract):
    """No line stored yet (the extract was not delivered): the first delivery is typed into a
    table made anew, with the columns of the contract as it is now."""
    from datalabs_pipelines.ingestion.loading import ensure_raw_tables

    database, folder = tmp_path / "w.duckdb", tmp_path / "landing"
    folder.mkdir()
    with duckdb.connect(str(database)) as con:
        ensure_raw_tables(con, people_contract)
    assert stage(database, people_contract).lines.typed == ()
    fewer = people_contract.model_copy(
        update={"columns": [c for c in people_contract.columns if c.name != "county"]}
    )
    load(database, fewer, DELIVERIES, folder)
    first = stage(database, fewer)
    assert first.lines.typed == tuple(DELIVERIES)
    scratch, _ = from_scratch(tmp_path, fewer, DELIVERIES)
    assert differing_tables(staged_sums(database), scratch) == []
