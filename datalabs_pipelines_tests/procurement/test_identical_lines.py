"""Identical payment lines are separate payments: staged through the real payments contract
(``duplicates: collapse_resent``), every line reaches the utilization mart, and the same lines
sent again in another file (re-exported, so not byte-identical) add nothing: they are counted
as collapsed.

The conformance cohort's staging, with its payments replaced by a delivery file in which
P5 (3,000.00, DOT, FY24, category 56, VBP-certified Beta) appears twice and a one-cent line
three times: total paid in category 56, FY24 = 3,000 × 2 + 0.01 × 3 = 6,000.03, all of it
certified VBP spend.
"""

from pathlib import Path

import duckdb

from datalabs_pipelines.cleaning.staging import build_candidates, promote
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines.marts.declaration import MARTS_DIR
from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.facts import build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors
from datalabs_pipelines_tests.procurement.test_conformance import _staging

LINES = (
    "Payment ID,Vendor ID,Agency Code,Payment Date,Amount,Category NAICS,Contract ID,"
    "Voids Payment ID\n"
    'P5,V2,DOT,8/1/2023,"$3,000.00",561720,,\n'
    'P5,V2,DOT,8/1/2023,"$3,000.00",561720,,\n'
    "C1,V2,DOT,8/2/2023,$0.01,561720,,\n"
    "C1,V2,DOT,8/2/2023,$0.01,561720,,\n"
    "C1,V2,DOT,8/2/2023,$0.01,561720,,\n"
)


def test_identical_payment_lines_keep_their_full_sum_in_the_marts(tmp_path: Path):
    contract = next(c for c in all_contracts() if c.name == "payments")
    assert contract.duplicates == "collapse_resent"
    with duckdb.connect() as con:
        _staging(con)
        con.execute("DROP TABLE staging.payments")
        header, *lines = LINES.splitlines(keepends=True)
        resend = header + "".join(reversed(lines))  # re-exported: same lines, other bytes
        for name, text in (("payments_2023Q3.csv", LINES), ("payments_2023Q3_resend.csv", resend)):
            delivery = tmp_path / name
            delivery.write_text(text, encoding="utf-8")
            load_delivery(con, contract, delivery, delivery.name)
        staged = build_candidates(con, contract, b"k" * 32)
        assert (staged.rows_staged, staged.duplicates_removed) == (5, 5)
        assert [(c.delivery, c.lines, float(c.amount)) for c in staged.collapsed] == [
            ("payments_2023Q3_resend.csv", 5, 6000.03)
        ]
        promote(con, contract)
        contracts = all_contracts()
        resolve_vendors(con, contracts, load_config().linkage, "test-run")
        build_facts(con, load_config(), contracts)
        con.execute("CREATE SCHEMA marts")
        prepare(con)
        con.execute((MARTS_DIR / "procurement" / "procurement_utilization.sql").read_text())
        total, certified = con.execute(
            "SELECT total_paid, certified_paid FROM marts.procurement_utilization "
            "WHERE agency_code = 'DOT' AND fiscal_year = 2024 AND category = '56' "
            "AND program = 'VBP'"
        ).fetchone()
    assert (float(total), float(certified)) == (6000.03, 6000.03)
