"""A state adopts one domain at a time: any subset of extracts runs, a bad delivery holds back
only what reads it, and an agreement lacking a purpose changes only the marts of that purpose.

Each one-domain test runs `make run`'s driver on a landing folder holding one agency's extracts
of a small generated sample (scale 0.05), then reads the published ``mart_status`` and the
dashboard; the held-back and agreement tests read two runs on labor and procurement together.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import RunOutcome, materialize_everything
from datalabs_pipelines.contracts import Contract, all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.generator.main import generate
from datalabs_pipelines_tests.pipeline.declared_tables import undeclared_tables

pytestmark = pytest.mark.slow

PROCUREMENT = {
    "procurement_utilization",
    "procurement_disparity",
    "procurement_awards_vs_paid",
    "procurement_data_flags",
    "procurement_program_utilization",
}
DOMAINS = {  # landing agency folder → marts that must be fresh
    "procurement": PROCUREMENT | {"extract_quality"},
    "human_services": {
        "safety_net_enrollment",
        "safety_net_annual",
        "linkage_quality",
        "extract_quality",
    },
    "labor": {"workforce_outcomes", "linkage_quality", "extract_quality"},
    "education": {"student_outcomes", "linkage_quality", "extract_quality"},
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(scale=0.05, seed=13, out=out, progress=False)
    return out / "raw"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATALABS_CONTRACTS_DIR", raising=False)
    monkeypatch.setenv("DATALABS_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DATALABS_LINKAGE_KEY", "33" * 32)
    return tmp_path


def land(sample: Path, tmp: Path, *agencies: str) -> None:
    for agency in agencies:
        shutil.copytree(sample / agency, tmp / "landing" / agency)


def run(instance: dg.DagsterInstance, contracts: list[Contract] | None = None) -> RunOutcome:
    contracts = list(all_contracts()) if contracts is None else contracts
    return materialize_everything(build_definitions(contracts), contracts, instance)


def published(tmp: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp / "published" / "datalabs.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def statuses(tmp: Path) -> dict[str, tuple]:
    """mart → (status, reason, built_at) as published."""
    rows = published(tmp, "SELECT mart, status, reason, built_at FROM mart_status")
    return {m: (s, r, b) for m, s, r, b in rows}


@pytest.mark.parametrize("agency", DOMAINS)
def test_one_domain_runs_and_publishes_its_marts(sample, env, agency):
    land(sample, env, agency)
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run(instance)
        assert outcome.failed_runs == []
        if agency == "procurement":  # the UI opened after `make run` reloads nothing
            defs = build_definitions()
            sensor = defs.get_sensor_def("landing_sensor")
            result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
            assert result.run_requests == []
    assert undeclared_tables(env / "warehouse.duckdb", build_definitions()) == set()
    found = statuses(env)
    fresh = {m for m, (s, _, _) in found.items() if s == "fresh"}
    assert fresh == DOMAINS[agency]
    for mart in set(found) - fresh:
        status, reason, _ = found[mart]
        assert status == "not measurable" and reason.startswith("not delivered: ")
        assert published(env, f"SELECT count(*) FROM {mart}") == [(0,)]  # never zeros
    not_delivered = {
        e
        for (e,) in published(
            env, "SELECT extract FROM extract_quality WHERE status = 'not delivered'"
        )
    }
    assert not_delivered == {c.name for c in all_contracts() if c.agency != agency}
    page = (env / "published" / "dashboard.html").read_text()
    assert page.count('class="banner not-measurable"') == len(set(found) - fresh)


def _corrupt(path: Path) -> None:
    """Blank the claim date of two lines and repeat a claim id: two ERROR checks fail."""
    lines = path.read_text(encoding="latin-1").splitlines()  # byte for byte
    header = lines[0].split(",")
    date = header.index("claim_filed_date")
    for n in (1, 2):
        cells = lines[n].split(",")
        cells[date] = ""
        lines[n] = ",".join(cells)
    cells = lines[3].split(",")
    cells[0] = lines[4].split(",")[0]
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def _without_quality_monitoring(contracts: list[Contract], name: str) -> list[Contract]:
    """``contracts`` with ``name``'s agreement lacking the data_quality_monitoring purpose."""
    changed = []
    for c in contracts:
        if c.name == name:
            purposes = [p for p in c.agreement.permitted_purposes if p != "data_quality_monitoring"]
            agreement = c.agreement.model_copy(update={"permitted_purposes": purposes})
            c = c.model_copy(update={"agreement": agreement})
        changed.append(c)
    return changed


@dataclass(frozen=True)
class TwoRuns:
    clean: Path  # what the clean run published (``published``/``statuses`` read it)
    held_back: Path  # what the run after the corrupted delivery published
    outcome: RunOutcome  # the second run's
    claims: Path  # the corrupted delivery


@pytest.fixture(scope="module")
def labor_and_procurement(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> TwoRuns:
    """Labor and procurement landed, certified_firms' agreement lacking one purpose: a clean
    run, then the largest ui_claims delivery corrupted and a second run."""
    tmp = tmp_path_factory.mktemp("labor_and_procurement")
    land(sample, tmp, "labor", "procurement")
    contracts = _without_quality_monitoring(list(all_contracts()), "certified_firms")
    with pytest.MonkeyPatch.context() as env, dg.DagsterInstance.ephemeral() as instance:
        env.delenv("DATALABS_CONTRACTS_DIR", raising=False)
        env.setenv("DATALABS_LANDING_DIR", str(tmp / "landing"))
        env.setenv("DATALABS_WAREHOUSE", str(tmp / "warehouse.duckdb"))
        env.setenv("DATALABS_PUBLISHED_DIR", str(tmp / "published"))
        env.setenv("DATALABS_LINKAGE_KEY", "33" * 32)
        assert run(instance, contracts).failed_runs == []
        shutil.copytree(tmp / "published", tmp / "clean" / "published")
        claims = max((tmp / "landing" / "labor" / "ui_claims").iterdir(), key=_size)
        _corrupt(claims)
        outcome = run(instance, contracts)
    return TwoRuns(tmp / "clean", tmp, outcome, claims)


def _size(path: Path) -> int:
    return path.stat().st_size


def test_a_corrupted_delivery_holds_back_only_its_lineage(labor_and_procurement: TwoRuns):
    runs = labor_and_procurement
    assert runs.outcome.failed_runs  # the run is red
    before, after = statuses(runs.clean), statuses(runs.held_back)
    for mart in PROCUREMENT | {"extract_quality"}:
        assert after[mart][0] == "fresh" and after[mart][2] > before[mart][2], mart
    for mart in ("workforce_outcomes", "linkage_quality"):
        status, reason, built_at = after[mart]
        assert status == "stale" and built_at == before[mart][2], mart
        assert "ui_claims held back" in reason and "unique_claim_id: 2 rows" in reason
        assert "claim_filed_date_not_null: " in reason
        assert f"{runs.claims.name}:" in reason  # the delivery and its lines
    count = "SELECT count(*) FROM workforce_outcomes"
    assert published(runs.held_back, count) == published(runs.clean, count)
    page = (runs.held_back / "published" / "dashboard.html").read_text()
    assert page.count('class="banner stale"') == 2 and "ui_claims held back" in page


def test_an_agreement_lacking_a_purpose_changes_only_its_marts(labor_and_procurement: TwoRuns):
    """certified_firms' agreement without data_quality_monitoring: extract_quality leaves it
    out and says so; the procurement marts are built as before (the clean run)."""
    clean = labor_and_procurement.clean
    found = statuses(clean)
    assert {m for m, (s, _, _) in found.items() if s == "fresh"} == (
        DOMAINS["procurement"] | DOMAINS["labor"]
    )
    assert "certified_firms left out" in found["extract_quality"][1]
    assert all(found[m][1] is None for m in PROCUREMENT)
    extracts = {e for (e,) in published(clean, "SELECT DISTINCT extract FROM extract_quality")}
    assert "certified_firms" not in extracts and "payments" in extracts
    (described,) = published(
        clean,
        "SELECT DISTINCT table_description FROM data_dictionary "
        "WHERE table_name = 'marts.extract_quality'",
    )
    assert "certified_firms left out" in described[0]  # the dictionary says so too
