"""A hand-made cohort whose utilization, availability and disparity were computed by hand.

Fiscal year July-June (FY 2024 = 2023-07-01 .. 2024-06-30); goals BEP 30 %, VBP 3 %.

Vendor master (category = two-digit NAICS):
  V1 Alpha Paving LLC     FEIN 111111111  cat 23  registered 2020
  V4 ALPHA PAVING         no FEIN, same address and phone: Alpha's second vendor record
  V2 Beta Janitorial Inc  FEIN 222222222  cat 56
  V3 Gamma Office Supply  FEIN 333333333  cat 42
  V5 Delta Paving Co      FEIN 555555555  cat 23  (never certified)
Registries:
  BEP-1 "Alpha Paving, L.L.C." FEIN 111111111  MBE  2022-01-01 .. 2023-12-31 (expires mid FY24)
  VBP-1 "BETA JANITORIAL" (no FEIN, same address/phone: matched on name and address) VBE
        2020-01-01 .. 2026-12-31
  BEP-2 Gamma, WBE, end 2023-06-01 before start 2024-06-01 -> flagged, never counts
  BEP-3 "Inc." -> no usable name -> flagged
Payments (all DOT):
  P0 V1 2023-05-01   800  cat 23  FY23  BEP (valid)
  P1 V1 2023-06-15  1000  cat 23  FY23  BEP
  X1 void of P1 2023-07-10 -1000 -> counts on P1's date: FY23, BEP
  P2 V1 2023-07-15  2000  cat 23  FY24  BEP (before 2023-12-31)
  P4 V4 2023-11-01   500  cat 23  FY24  BEP through the duplicate vendor record
  P3 V4 2024-01-15  4000  cat 23  FY24  not certified: BEP-1 expired 2023-12-31
  P7 V5 2023-10-01  2500  cat 23  FY24  not certified
  P8 V9999 2023-12-01 700 cat 23  FY24  vendor not in the master: counted in total, flagged
  P5 V2 2023-08-01  3000  cat 56  FY24  VBP
  P6 V3 2023-09-01  1500  cat 42  FY24  not certified (its certification is flagged)
Awards (DOT): A1 V1 2023-08-01 10000 (certified BEP), A2 V5 2024-02-01 5000.

By hand:
  utilization DOT FY23 cat 23: total 800 + 1000 - 1000 = 800; BEP 800 -> 100 %, gap -70
  utilization DOT FY24 cat 23: total 2000+500+4000+2500+700 = 9700; BEP 2000+500 = 2500
      -> 2500/9700 = 25.77 %, gap 30 - 25.77 = 4.23; VBP 0 %, gap 3
  utilization DOT FY24 cat 56: VBP 3000/3000 = 100 %, gap -97; BEP 0 %
  disparity cat 23 FY24: registered vendors Alpha, Delta = 2; certified in FY24: Alpha = 1
      -> availability 50 %; utilization share (any program) 2500/9700 = 25.77 %;
      index 25.77 / 50 = 0.515 < 0.80 -> flagged; with min_available_firms 1 an area for
      improvement
  disparity cat 23 FY23: availability 1/2 = 50 %, share 800/800 = 100 % -> index 2.0
  disparity cat 56 FY24: 1/1 = 100 %, share 100 % -> index 1.0
  disparity cat 42 FY24: Gamma registered, its only certification flagged -> 0 certified,
      availability 0 % -> index empty, not flagged
  awards vs paid DOT FY24: awarded 15000 (certified 10000); paid 9700+3000+1500 = 14200
      (certified 2500+3000 = 5500)
"""

from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.contracts import load_contracts
from datalabs_pipelines.contracts.loader import CONTRACTS_DIR
from datalabs_pipelines.marts.declaration import MARTS_DIR
from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines.procurement.config import Disparity, load_config
from datalabs_pipelines.procurement.facts import build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors

MARTS = MARTS_DIR / "procurement"
D = "DATE"
VENDORS = [
    ("V1", "Alpha Paving LLC", "111111111", "1 Main St", "62701", "2175550001", "237310"),
    ("V4", "ALPHA PAVING", None, "1 MAIN STREET", "62701", "(217) 555-0001", "237310"),
    ("V2", "Beta Janitorial Inc", "222222222", "2 Oak St", "62702", "2175550002", "561720"),
    ("V3", "Gamma Office Supply", "333333333", "3 Elm St", "62703", "2175550003", "424120"),
    ("V5", "Delta Paving Co", "555555555", "5 Pine St", "62705", "2175550005", "237310"),
]
REGISTERED = {"V4": "2023-09-01"}
CERTS = [
    ("BEP-1", "Alpha Paving, L.L.C.", "111111111", "1 Main St", "62701", "2175550001",
     "MBE", "2022-01-01", "2023-12-31"),
    ("VBP-1", "BETA JANITORIAL", None, "2 Oak Street", "62702", "217.555.0002",
     "VBE", "2020-01-01", "2026-12-31"),
    ("BEP-2", "Gamma Office Supply", "333333333", "3 Elm St", "62703", "2175550003",
     "WBE", "2024-06-01", "2023-06-01"),
    ("BEP-3", "Inc.", None, "9 Nowhere Rd", "62709", None, "MBE", "2020-01-01", "2030-01-01"),
]  # fmt: skip
PAYMENTS = [
    ("P0", "V1", "2023-05-01", 800, "237310", None),
    ("P1", "V1", "2023-06-15", 1000, "237310", None),
    ("X1", "V1", "2023-07-10", -1000, "237310", "P1"),
    ("P2", "V1", "2023-07-15", 2000, "237310", None),
    ("P4", "V4", "2023-11-01", 500, "237310", None),
    ("P3", "V4", "2024-01-15", 4000, "237310", None),
    ("P7", "V5", "2023-10-01", 2500, "237310", None),
    ("P8", "V9999", "2023-12-01", 700, "237310", None),
    ("P5", "V2", "2023-08-01", 3000, "561720", None),
    ("P6", "V3", "2023-09-01", 1500, "424120", None),
]
AWARDS = [("A1", "V1", "2023-08-01", 10000), ("A2", "V5", "2024-02-01", 5000)]


def _staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA staging")
    con.execute(
        "CREATE TABLE staging.vendor_master (record_id VARCHAR, vendor_id VARCHAR, "
        "vendor_name VARCHAR, dba_name VARCHAR, fein VARCHAR, address VARCHAR, city VARCHAR, "
        "state VARCHAR, zip VARCHAR, phone VARCHAR, naics VARCHAR, registered_date DATE)"
    )
    for i, (vid, name, fein, addr, zip_, phone, naics) in enumerate(VENDORS):
        con.execute(
            "INSERT INTO staging.vendor_master VALUES (?, ?, ?, NULL, ?, ?, 'Springfield', "
            "'IL', ?, ?, ?, ?)",
            [f"vm.csv:{i + 2}", vid, name, fein, addr, zip_, phone, naics,
             REGISTERED.get(vid, "2020-01-01")],
        )  # fmt: skip
    con.execute(
        "CREATE TABLE staging.certified_firms (record_id VARCHAR, certification_id VARCHAR, "
        "business_name VARCHAR, fein VARCHAR, address VARCHAR, city VARCHAR, zip VARCHAR, "
        "phone VARCHAR, certification_type VARCHAR, certifying_body VARCHAR, "
        "cert_start_date DATE, cert_end_date DATE, naics VARCHAR)"
    )
    for i, (cid, name, fein, addr, zip_, phone, ctype, start, end) in enumerate(CERTS):
        con.execute(
            "INSERT INTO staging.certified_firms VALUES (?, ?, ?, ?, ?, 'Springfield', ?, ?, ?, "
            "'Test body', ?, ?, NULL)",
            [f"cf.xlsx:{i + 3}", cid, name, fein, addr, zip_, phone, ctype, start, end],
        )
    con.execute(
        "CREATE TABLE staging.payments (record_id VARCHAR, payment_id VARCHAR, vendor_id VARCHAR, "
        "agency_code VARCHAR, payment_date DATE, amount DECIMAL(18, 2), category_naics VARCHAR, "
        "contract_id VARCHAR, voids_payment_id VARCHAR)"
    )
    for i, (pid, vid, day, amount, naics, voids) in enumerate(PAYMENTS):
        con.execute(
            "INSERT INTO staging.payments VALUES (?, ?, ?, 'DOT', ?, ?, ?, NULL, ?)",
            [f"p.csv:{i + 2}", pid, vid, day, amount, naics, voids],
        )
    con.execute(
        "CREATE TABLE staging.contract_awards (record_id VARCHAR, award_id VARCHAR, "
        "contract_id VARCHAR, vendor_id VARCHAR, agency_code VARCHAR, award_date DATE, "
        "award_amount DECIMAL(18, 2), naics VARCHAR, description VARCHAR)"
    )
    for i, (aid, vid, day, amount) in enumerate(AWARDS):
        con.execute(
            "INSERT INTO staging.contract_awards VALUES (?, ?, ?, ?, 'DOT', ?, ?, '237310', 'x')",
            [f"a.csv:{i + 2}", aid, f"C{aid}", vid, day, amount],
        )


@pytest.fixture(scope="module")
def cohort():
    con = duckdb.connect()
    _staging(con)
    config = load_config()
    config = config.model_copy(
        update={"disparity": Disparity(threshold=0.8, min_available_firms=1)}
    )
    contracts = load_contracts(CONTRACTS_DIR)
    resolve_vendors(con, contracts, config.linkage, "test-run")
    build_facts(con, config, contracts)
    con.execute("CREATE SCHEMA marts")
    prepare(con)
    for name in ("utilization", "disparity", "awards_vs_paid", "data_flags"):
        con.execute(Path(MARTS / f"procurement_{name}.sql").read_text())
    yield con
    con.close()


def keys(con, *source_ids):
    rows = con.execute(
        "SELECT DISTINCT vendor_key FROM integrated.vendor_keys WHERE source_id IN "
        f"({', '.join('?' for _ in source_ids)})",
        list(source_ids),
    ).fetchall()
    return len(rows)


def test_duplicate_vendor_and_registries_resolve_to_one_business(cohort):
    assert keys(cohort, "V1", "V4", "BEP-1") == 1  # FEIN, then name + address for V4
    assert keys(cohort, "V2", "VBP-1") == 1  # no FEIN on the registry: probabilistic
    assert keys(cohort, "V1", "V5") == 2  # another paving firm stays apart


def utilization(con, year, category, program):
    return con.execute(
        "SELECT total_paid, certified_paid, utilization_pct, goal_pct, gap_to_goal_pct "
        "FROM marts.procurement_utilization WHERE agency_code = 'DOT' AND fiscal_year = ? "
        "AND category = ? AND program = ?",
        [year, category, program],
    ).fetchall()[0]


def test_utilization_by_hand(cohort):
    assert utilization(cohort, 2023, "23", "BEP") == (800, 800, 100.0, 30.0, -70.0)
    assert utilization(cohort, 2024, "23", "BEP") == (9700, 2500, 25.77, 30.0, 4.23)
    assert utilization(cohort, 2024, "23", "VBP") == (9700, 0, 0.0, 3.0, 3.0)
    assert utilization(cohort, 2024, "56", "VBP") == (3000, 3000, 100.0, 3.0, -97.0)
    assert utilization(cohort, 2024, "42", "BEP") == (1500, 0, 0.0, 30.0, 30.0)
    assert utilization(cohort, 2024, "23", "DBE")[3:] == (None, None)


def disparity(con, category, year):
    return con.execute(
        "SELECT registered_vendors, certified_firms, availability_pct, utilization_share_pct, "
        "disparity_index, below_threshold, area_for_improvement "
        "FROM marts.procurement_disparity WHERE category = ? AND fiscal_year = ?",
        [category, year],
    ).fetchall()[0]


def test_availability_and_disparity_by_hand(cohort):
    assert disparity(cohort, "23", 2024) == (2, 1, 50.0, 25.77, 0.515, True, True)
    assert disparity(cohort, "23", 2023) == (2, 1, 50.0, 100.0, 2.0, False, False)
    assert disparity(cohort, "56", 2024) == (1, 1, 100.0, 100.0, 1.0, False, False)
    assert disparity(cohort, "42", 2024) == (1, 0, 0.0, 0.0, None, False, False)


def test_awards_and_payments_kept_apart(cohort):
    rows = cohort.execute(
        "SELECT fiscal_year, awarded_total, awarded_certified, paid_total, paid_certified "
        "FROM marts.procurement_awards_vs_paid ORDER BY 1"
    ).fetchall()
    assert rows == [(2023, 0, 0, 800, 800), (2024, 15000, 10000, 14200, 5500)]


def test_bad_input_is_flagged_and_counted_not_dropped(cohort):
    flags = cohort.execute(
        "SELECT source_extract, reason, records, amount FROM marts.procurement_data_flags"
    ).fetchall()
    assert flags == [
        ("certified_firms", "certification_ends_before_it_starts", 1, None),
        ("certified_firms", "registry_row_without_usable_name", 1, None),
        ("payments", "vendor_not_in_master", 1, 700),
    ]
    paid = cohort.execute("SELECT sum(amount) FROM integrated.procurement_payments").fetchall()
    assert paid == [(15000,)]  # every line kept: 800 (FY23 net) + 9700 + 3000 + 1500 (FY24)
