"""The two real North Carolina registries join vendor resolution and certification through
their contracts alone: the whole graph, from a temporary landing folder.

The files are copied from ``../shared/realdata`` into ``tmp_path`` (never into the repository);
the vendor master, payments and awards beside them are hand-made and name a few real firms of
those files, written differently. Skipped where ``../shared/realdata`` is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import materialize_everything
from datalabs_pipelines.contracts import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
PACKAGE = ROOT / "datalabs_pipelines"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata not present"),
]

VENDORS = (
    "Vendor ID,Vendor Name,DBA Name,FEIN,Address,City,State,ZIP,Phone,NAICS,Registered Date\n"
    # HUB line 6 "1st Class Trucking, Inc." (W, 04-06-2021..04-06-2025); DBE line 29
    "V100,1st Class Trucking,,,2620 Philo White Road,Franklinton,NC,27525-1234,"
    "(919) 702-1159,484110,01/04/2021\n"
    # HUB line 1075 "DeeJay's Trucking LLC"; DBE line 7354 "DEE JAYS TRUCKING LLC"
    'V101,"DEEJAYS TRUCKING, L.L.C.",,,6219 Guess Road,Durham,NC,27712,919.805.7601,'
    "484110,02/01/2021\n"
    # HUB line 3355 "Skyrock Construction LLC"; DBE line 22580
    "V102,Skyrock Construction,,,1000 Old Milburnie Rd,Raleigh,NC,27604,9192662446,"
    "236220,03/01/2020\n"
    # in neither registry
    "V103,Prairie Office Supply Co,,,12 Lake St,Springfield,IL,62701,2175550199,"
    "424120,05/01/2019\n"
)
PAYMENTS = (
    "Payment ID,Vendor ID,Agency Code,Payment Date,Amount,Category NAICS,Contract ID,"
    "Voids Payment ID\n"
    'P1,V100,DOT,3/2/2024,"$1,000.00",484110,,\n'
    "P2,V103,DOT,3/3/2024,$500.00,424120,,\n"
)
AWARDS = (
    "Award ID,Contract ID,Vendor ID,Agency,Award Date,Award Amount,NAICS,Description\n"
    "A1,C1,V102,DOT,01/15/2024,25000.00,236220,Paving\n"
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("nc_e2e")
    contracts_dir, landing = tmp / "contracts", tmp / "landing"
    (contracts_dir / "procurement").mkdir(parents=True)
    for name in ("vendor_master", "payments", "contract_awards"):
        shutil.copy(
            PACKAGE / "contracts" / "procurement" / f"{name}.yaml", contracts_dir / "procurement"
        )
    shutil.copytree(PACKAGE / "procurement" / "registries" / "nc", contracts_dir / "nc")
    files = {
        "procurement/vendor_master/vendor_master_2024.csv": VENDORS,
        "procurement/payments/payments_2024Q1.csv": PAYMENTS,
        "procurement/contract_awards/contract_awards_2024.csv": AWARDS,
    }
    for relative, text in files.items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_text(text)
    for agency, name, suffix in (
        ("nc_dot", "nc_dot_dbe_directory", ".csv"),
        ("nc_doa", "nc_hub_directory", ".xls"),
    ):
        folder = landing / agency / name
        folder.mkdir(parents=True)
        shutil.copy(REALDATA / f"{name}{suffix}", folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATALABS_CONTRACTS_DIR", str(contracts_dir))
        mp.setenv("DATALABS_LANDING_DIR", str(landing))
        mp.setenv("DATALABS_WAREHOUSE", str(tmp / "warehouse.duckdb"))
        mp.setenv("DATALABS_PUBLISHED_DIR", str(tmp / "published"))
        mp.setenv("DATALABS_LINKAGE_KEY", "11" * 32)
        mp.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
        (tmp / "dagster_home").mkdir()
        contracts = load_contracts(contracts_dir)
        with dg.DagsterInstance.ephemeral() as instance:
            outcome = materialize_everything(build_definitions(contracts), contracts, instance)
        assert outcome.failed_runs == []
        yield get_settings().warehouse_path


def _rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _keys(path: Path, where: str, params: list) -> set[str]:
    return {
        k
        for (k,) in _rows(
            path, f"SELECT vendor_key FROM integrated.vendor_keys WHERE {where}", params
        )
    }


def test_registry_firms_link_to_the_vendor_master(warehouse):
    for vendor, dbe, hub in (
        ("V100", "nc_dot_dbe_directory.csv:29", "nc_hub_directory.xls:6"),
        ("V101", "nc_dot_dbe_directory.csv:7354", "nc_hub_directory.xls:1075"),
        ("V102", "nc_dot_dbe_directory.csv:22580", "nc_hub_directory.xls:3355"),
    ):
        keys = _keys(warehouse, "source_id = ? OR record_id IN (?, ?)", [vendor, dbe, hub])
        assert len(keys) == 1, vendor
    assert not _keys(warehouse, "source_id = 'V103'", []) & _keys(
        warehouse, "source_extract <> 'vendor_master'", []
    )


def test_registry_codes_are_mapped_by_their_contracts(warehouse):
    hub = _rows(
        warehouse,
        "SELECT certification_type, ownership, program, flag FROM integrated.certifications "
        "WHERE source_extract = 'nc_hub_directory' AND record_id = 'nc_hub_directory.xls:6'",
    )
    assert hub == [("W", "women", "BEP", None)]
    dbe = _rows(
        warehouse,
        "SELECT certification_type, program, flag FROM integrated.certifications "
        "WHERE record_id = 'nc_dot_dbe_directory.csv:29' ORDER BY 1",
    )  # "DBE, WBE, HUB": three codes; the directory has no dates, so none can count
    assert dbe == [
        ("DBE", "DBE", "certification_dates_missing"),
        ("HUB", "BEP", "certification_dates_missing"),
        ("WBE", "BEP", "certification_dates_missing"),
    ]
    codes = dict(
        _rows(
            warehouse,
            "SELECT certification_type, count(*) FILTER (WHERE program IS NULL) "
            "FROM integrated.certifications WHERE source_extract = 'nc_hub_directory' GROUP BY 1",
        )
    )
    assert set(codes) == {"B", "W", "HA", "AA", "AI", "D", "SE"} and not any(codes.values())


def test_a_payment_to_a_hub_firm_counts_as_certified(warehouse):
    rows = _rows(
        warehouse,
        "SELECT payment_id, certified_programs, flag FROM integrated.procurement_payments "
        "ORDER BY payment_id",
    )
    assert rows == [("P1", ["BEP"], None), ("P2", [], None)]
