"""Two contracts fill the payments role: the procurement SQL reads both through the role view,
with each contract's own value map of agency names, and an awards role nobody delivered.

By hand: vendor V1 is certified BEP (MBE) 2020..2030. `payments` pays P1 100 on 2024-01-01
(agency DOT as written); `city_payments` pays its own P1 50 on 2024-01-02 (agency written
"Department of Transportation", mapped to DOT) and voids it with X1 on 2024-02-01: the void
counts on *its* extract's P1 date, 2024-01-02, not the other extract's.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
import yaml

from datalabs_pipelines.candidates import built_from, mark_built_from
from datalabs_pipelines.contracts import load_contracts
from datalabs_pipelines.contracts.loader import CONTRACTS_DIR
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.procurement import facts as facts_module
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.facts import FOLLOW_PAYMENTS, LAST, SQL_DIR, STEPS, build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors
from datalabs_pipelines.procurement.payment_lines import LINES, PAYMENTS
from datalabs_pipelines.warehouse import qualified


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


def fill_procurement(con: duckdb.DuckDBPyConnection) -> None:
    """The staged extracts of the module docstring, vendors resolved and the facts built."""
    contracts = _contracts()
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
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


@pytest.fixture
def facts():
    con = duckdb.connect()
    fill_procurement(con)
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


def _rebuilt_whole(con) -> dict[str, list[tuple]]:
    """The tables a whole build gives on the same inputs (the marks that allow a partial
    build cleared)."""
    for table in (PAYMENTS, LAST):
        mark_built_from(con, table, None)
    assert build_facts(con, load_config(), _contracts()) is True
    return _tables(con)


def _city(record_id: str, payment_id: str, paid: str, amount: float, voids: str | None) -> str:
    voided = "NULL" if voids is None else f"'{voids}'"
    return (
        f"INSERT INTO staging.city_payments VALUES ('{record_id}', '{payment_id}', 'V1', "
        f"'DOT', DATE '{paid}', {amount}, '237310', NULL, {voided})"
    )


def _effective(con, payment_id: str) -> tuple:
    return con.execute(
        "SELECT effective_date, flag FROM integrated.procurement_payments "
        "WHERE source_extract = 'city_payments' AND payment_id = ?",
        [payment_id],
    ).fetchone()


def test_a_payments_night_rebuilds_the_changed_lines_as_a_whole_build_would(facts, monkeypatch):
    payments_nights(facts, monkeypatch)


def payments_nights(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each change below is built on its own (only payment lines changed: the payments table
    is rebuilt for them), then compared with a whole build of the same lines.

    By hand, in city_payments: X2 voids P1 (dated 2024-01-02), so it counts on 2024-01-02;
    P1 corrected to 2023-12-30 moves X1 and X2 with it; X3 voids P9, not yet paid (flagged),
    until P9 arrives on 2024-04-01; a second P9 line dated 2024-03-15 moves X3 to that date;
    P1 withdrawn leaves X1 and X2 voids of an unknown payment."""
    config, contracts = load_config(), _contracts()
    rebuilt = []  # the calls of rebuild_changed
    by_lines = facts_module.rebuild_changed
    monkeypatch.setattr(
        facts_module, "rebuild_changed", lambda *a: rebuilt.append(a) or by_lines(*a)
    )
    changes = [
        (_city("c2.csv:2", "X2", "2024-03-01", -10, "P1"), "X2", (dt.date(2024, 1, 2), None)),
        (
            "UPDATE staging.city_payments SET payment_date = DATE '2023-12-30' "
            "WHERE record_id = 'c.csv:2'",
            "X2",
            (dt.date(2023, 12, 30), None),
        ),
        (
            _city("c3.csv:2", "X3", "2024-05-01", -5, "P9"),
            "X3",
            (dt.date(2024, 5, 1), "void_of_unknown_payment"),
        ),
        (_city("c4.csv:2", "P9", "2024-04-01", 5, None), "X3", (dt.date(2024, 4, 1), None)),
        (_city("c5.csv:2", "P9", "2024-03-15", 7, None), "X3", (dt.date(2024, 3, 15), None)),
        (
            "DELETE FROM staging.city_payments WHERE record_id = 'c.csv:2'",
            "X1",
            (dt.date(2024, 2, 1), "void_of_unknown_payment"),
        ),
    ]
    for change, payment_id, expected in changes:
        con.execute(change)
        assert build_facts(con, config, contracts) is True
        assert len(rebuilt) == 1, "built by its changed lines, not whole"
        assert _effective(con, payment_id) == expected
        night = _tables(con)
        lines = con.execute(f"SELECT * FROM {qualified(LINES)} ORDER BY ALL").fetchall()
        assert night == _rebuilt_whole(con)
        assert lines == con.execute(f"SELECT * FROM {qualified(LINES)} ORDER BY ALL").fetchall()
        rebuilt.clear()
    assert built_from(con, PAYMENTS) is not None


def test_the_steps_a_payments_night_keeps_read_nothing_built_from_payment_lines():
    """A step outside FOLLOW_PAYMENTS reads neither the payment lines nor a table of a step
    inside it (whose rows a payments night changes)."""
    follow = {"role_payments"}
    for name, _ in STEPS:
        sql = (SQL_DIR / f"{name}.sql").read_text()
        reads = any(re.search(rf"\b{re.escape(t)}\b", sql) for t in follow)
        assert reads == (name in FOLLOW_PAYMENTS), name
        if reads:
            follow.add(f"integrated.{name}")
