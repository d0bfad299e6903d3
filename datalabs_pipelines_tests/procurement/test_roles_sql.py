"""Two contracts fill the payments role: the procurement SQL reads both through the role view,
with each contract's own value map of agency names, and an awards role nobody delivered.

By hand: vendor V1 is certified BEP (MBE) 2020..2030. `payments` pays P1 100 on 2024-01-01
(agency DOT as written); `city_payments` pays its own P1 50 on 2024-01-02 (agency written
"Department of Transportation", mapped to DOT) and voids it with X1 on 2024-02-01: the void
counts on *its* extract's P1 date, 2024-01-02, not the other extract's.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import yaml

from datalabs_pipelines.contracts import load_contracts
from datalabs_pipelines.contracts.loader import CONTRACTS_DIR
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.facts import build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors


def _city_payments() -> Contract:
    data = yaml.safe_load((CONTRACTS_DIR / "procurement" / "payments.yaml").read_text())
    data.update(
        name="city_payments",
        file_pattern="city_payments_*.csv",
        value_maps={"agency_code": {"Department of Transportation": {"agency_code": "DOT"}}},
    )
    return Contract.model_validate(data)


def _contracts() -> list[Contract]:
    return [c for c in load_contracts(CONTRACTS_DIR) if c.name != "contract_awards"] + [
        _city_payments()
    ]


@pytest.fixture
def facts():
    contracts = _contracts()
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute(
        "CREATE TABLE staging.vendor_master AS SELECT 'v.csv:2' AS record_id, 'V1' AS vendor_id, "
        "'Alpha Paving LLC' AS vendor_name, NULL AS dba_name, '111111111' AS fein, "
        "'1 Main St' AS address, 'Springfield' AS city, '62701' AS zip, "
        "'2175550001' AS phone, '237310' AS naics, DATE '2020-01-01' AS registered_date"
    )
    con.execute(
        "CREATE TABLE staging.certified_firms AS SELECT 'c.xlsx:3' AS record_id, "
        "'BEP-1' AS certification_id, 'Alpha Paving, L.L.C.' AS business_name, "
        "'111111111' AS fein, '1 Main St' AS address, 'Springfield' AS city, '62701' AS zip, "
        "'2175550001' AS phone, 'MBE' AS certification_type, 'CMS' AS certifying_body, "
        "DATE '2020-01-01' AS cert_start_date, DATE '2030-12-31' AS cert_end_date, "
        "NULL AS naics"
    )
    columns = (
        "record_id, payment_id, vendor_id, agency_code, payment_date, amount, "
        "category_naics, contract_id, voids_payment_id"
    )
    con.execute(
        f"CREATE TABLE staging.payments AS SELECT * FROM (VALUES ('p.csv:2', 'P1', 'V1', 'DOT', "
        f"DATE '2024-01-01', 100.00::DECIMAL(18, 2), '237310', NULL, NULL)) t({columns})"
    )
    con.execute(
        f"CREATE TABLE staging.city_payments AS SELECT * FROM (VALUES "
        f"('c.csv:2', 'P1', 'V1', ' Department of Transportation', DATE '2024-01-02', "
        f"50.00::DECIMAL(18, 2), '237310', NULL, NULL), "
        f"('c.csv:3', 'X1', 'V1', 'Department of Transportation', DATE '2024-02-01', "
        f"-50.00::DECIMAL(18, 2), '237310', NULL, 'P1')) t({columns})"
    )
    config = load_config()
    resolve_vendors(con, contracts, config.linkage, "test-run")
    build_facts(con, config, contracts)
    yield con
    con.close()


def test_every_contract_filling_the_role_is_read_with_its_own_value_map(facts):
    rows = facts.execute(
        "SELECT source_extract, payment_id, agency_code, effective_date, amount, "
        "certified_programs, flag FROM integrated.procurement_payments ORDER BY ALL"
    ).fetchall()
    assert [(*r[:3], r[3], float(r[4]), *r[5:]) for r in rows] == [
        ("city_payments", "P1", "DOT", dt.date(2024, 1, 2), 50.0, ["BEP"], None),
        ("city_payments", "X1", "DOT", dt.date(2024, 1, 2), -50.0, ["BEP"], None),
        ("payments", "P1", "DOT", dt.date(2024, 1, 1), 100.0, ["BEP"], None),
    ]


def test_a_role_nobody_delivered_is_empty_not_an_error(facts):
    assert facts.execute("SELECT count(*) FROM integrated.procurement_awards").fetchone() == (0,)


def _tables(con) -> dict[str, list[tuple]]:
    names = ["procurement_payments", "procurement_fiscal_years", "procurement_flags"]
    return {n: con.execute(f"SELECT * FROM integrated.{n} ORDER BY ALL").fetchall() for n in names}


def test_unchanged_inputs_keep_the_tables_and_any_change_rebuilds_them(facts):
    """A night that brought no procurement file leaves the facts as they are; a changed
    payment, or a changed parameter, rebuilds them, as a build from scratch would."""
    config, contracts = load_config(), _contracts()
    before = _tables(facts)
    assert build_facts(facts, config, contracts) is False
    assert _tables(facts) == before
    facts.execute("UPDATE staging.payments SET amount = 70 WHERE payment_id = 'P1'")
    assert build_facts(facts, config, contracts) is True
    paid = "SELECT sum(amount) FROM integrated.procurement_payments"
    assert float(facts.execute(paid).fetchone()[0]) == 70.0
    assert build_facts(facts, config, contracts) is False
    later = config.model_copy(update={"fiscal_year_start_month": 10})
    assert build_facts(facts, later, contracts) is True
