"""`make run` loads by the landing sensor's rule: what the load ledger does not hold."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb

from datalabs_pipelines.automation.local_run import (
    RANGE_END,
    RANGE_START,
    consecutive_ranges,
    load_everything,
)
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.ledger import withdraw
from datalabs_pipelines.ingestion.physical import file_sha256
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS


def _load_runs(instance: dg.DagsterInstance) -> list[tuple[str, str, str]]:
    runs = instance.get_runs()
    return sorted((r.job_name, r.tags[RANGE_START], r.tags[RANGE_END]) for r in runs)


def test_consecutive_ranges_never_span_a_key_not_wanted():
    ordered = ["a", "b", "c", "d", "e", "f"]
    assert consecutive_ranges(ordered, {"a", "b", "c", "d", "e", "f"}) == [("a", "f")]
    assert consecutive_ranges(ordered, {"b", "c", "e"}) == [("b", "c"), ("e", "e")]
    assert consecutive_ranges(ordered, {"f", "a"}) == [("a", "a"), ("f", "f")]
    assert consecutive_ranges(ordered, set()) == []
    assert consecutive_ranges(ordered, {"zz"}) == []  # not a partition: nothing to range over


def test_a_second_make_run_loads_only_a_changed_file(isolated_env):
    contracts = load_contracts(FIXTURE_CONTRACTS)
    defs = build_definitions(contracts)
    visits = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = load_everything(defs, contracts, instance)
        assert outcome.failed_runs == []
        assert (outcome.deliveries_landed, outcome.deliveries_loaded) == (3, 3)
        first = _load_runs(instance)
        assert first == [
            ("load_people", "people_2024.txt", "people_2025.txt"),
            ("load_visits", "visits_2024q2.jsonl", "visits_2024q2.jsonl"),
        ]
        outcome = load_everything(defs, contracts, instance)
        assert _load_runs(instance) == first  # nothing landed: nothing loaded
        assert (outcome.deliveries_landed, outcome.deliveries_loaded) == (3, 0)
        edited = visits.read_text().replace('"site": "A"', '"site": "B"', 1)
        assert edited != visits.read_text()
        visits.write_text(edited)
        outcome = load_everything(defs, contracts, instance)
        again = ("load_visits", "visits_2024q2.jsonl", "visits_2024q2.jsonl")
        assert _load_runs(instance) == sorted([*first, again])  # the changed file alone
        assert outcome.deliveries_loaded == 1


def test_an_edited_contract_loads_its_extract_again(isolated_env, monkeypatch):
    """Raw rows are parsed under a contract: after an edit its deliveries load again."""
    contracts_dir = isolated_env / "contracts"
    shutil.copytree(FIXTURE_CONTRACTS, contracts_dir)
    monkeypatch.setenv("DATALABS_CONTRACTS_DIR", str(contracts_dir))
    with dg.DagsterInstance.ephemeral() as instance:
        contracts = load_contracts(contracts_dir)
        load_everything(build_definitions(contracts), contracts, instance)
        first = _load_runs(instance)
        visits = contracts_dir / "test_agency" / "visits.yaml"
        visits.write_text(visits.read_text().replace("Visit id}", "Visit identifier}", 1))
        contracts = load_contracts(contracts_dir)
        load_everything(build_definitions(contracts), contracts, instance)
        again = ("load_visits", "visits_2024q2.jsonl", "visits_2024q2.jsonl")
        assert _load_runs(instance) == sorted([*first, again])


def test_a_withdrawn_file_loads_again_only_when_it_lands_again(isolated_env):
    """Withdrawn in place (`datalabs withdraw`, the file left in landing): not loaded again.
    Withdrawn by deleting its file: the same file landing again is loaded again."""
    contracts = load_contracts(FIXTURE_CONTRACTS)
    defs = build_definitions(contracts)
    people = next(c for c in contracts if c.name == "people")
    folder = get_settings().landing_dir / "test_agency" / "people"
    with dg.DagsterInstance.ephemeral() as instance:
        load_everything(defs, contracts, instance)
        with duckdb.connect(str(get_settings().warehouse_path)) as con:
            left = file_sha256(folder / "people_2024.txt")
            withdraw(con, people, "people_2024.txt", "wrong year", left)
        assert load_everything(defs, contracts, instance).deliveries_loaded == 0

        (folder / "people_2025.txt").rename(isolated_env / "people_2025.txt")
        with duckdb.connect(str(get_settings().warehouse_path)) as con:
            withdraw(con, people, "people_2025.txt")  # what staging does for a deleted file
        (isolated_env / "people_2025.txt").rename(folder / "people_2025.txt")
        before = _load_runs(instance)
        assert load_everything(defs, contracts, instance).deliveries_loaded == 1
        again = ("load_people", "people_2025.txt", "people_2025.txt")
        assert _load_runs(instance) == sorted([*before, again])
