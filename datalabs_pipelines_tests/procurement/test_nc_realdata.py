"""The two real North Carolina directories, ingested through their contracts and matched.

The files are read from ``../shared/realdata`` (never copied into the repository); the tests
are skipped where that folder is absent. The contracts live outside the default contract
folder (``datalabs_pipelines/procurement/registries``), so the code location never loads them.
"""

from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.cleaning.staging import build_candidates, promote
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.ingestion.loading import load_delivery, reconcile
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.linkage import resolve_vendors
from datalabs_pipelines_tests.conftest import TEST_KEY_HEX

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
REGISTRIES = ROOT / "datalabs_pipelines" / "procurement" / "registries"
FILES = {
    "nc_dot_dbe_directory": "nc_dot_dbe_directory.csv",
    "nc_hub_directory": "nc_hub_directory.xls",
}

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata not present")

# Checked by eye in both files: same business, written differently by the two bodies.
SAME_FIRM = [
    ("nc_dot_dbe_directory.csv:29", "nc_hub_directory.xls:6"),
    # "1ST CLASS TRUCKING INC" / "1st Class Trucking, Inc.", 2620 Philo White Rd, Franklinton
    ("nc_dot_dbe_directory.csv:25716", "nc_hub_directory.xls:3983"),
    # "VISTABUTION LLC" / "Vistabution, LLC", 8315 Six Forks Rd (DBE adds Ste 205), Raleigh
    ("nc_dot_dbe_directory.csv:7354", "nc_hub_directory.xls:1075"),
    # "DEE JAYS TRUCKING LLC" / "DeeJay's Trucking LLC", 6219 Guess Rd, Durham
    ("nc_dot_dbe_directory.csv:24734", "nc_hub_directory.xls:3808"),
    # "TRACCO LLC" / "tracco llc", 2320 Spruce Shadow(s) Ln, Raleigh
    ("nc_dot_dbe_directory.csv:22580", "nc_hub_directory.xls:3355"),
    # "SKYROCK CONSTRUCTION LLC" / "Skyrock Construction LLC", 1000 (A) Old Milburnie Rd
    ("nc_dot_dbe_directory.csv:3283", "nc_hub_directory.xls:458"),
    # "BEYOND DECADENCE INC" / "Beyond Decadence, Inc.", 19825 N Cove Rd, Cornelius
]
# Same address and phone, different businesses (one owner): must stay apart, at most reviewed.
DIFFERENT_FIRMS = [("nc_dot_dbe_directory.csv:23375", "nc_hub_directory.xls:1118")]
# "SURE POWER ELECTRIC INC" / "Diverse Realty", 7810 Grand Lillie Dr, Durham


@pytest.fixture(scope="module")
def nc(tmp_path_factory):
    contracts = {c.name: c for c in load_contracts(REGISTRIES)}
    con = duckdb.connect(str(tmp_path_factory.mktemp("nc") / "nc.duckdb"))
    loads = {}
    for name, file in FILES.items():
        loads[name] = load_delivery(con, contracts[name], REALDATA / file, file)
        assert reconcile(con, contracts[name], file)["reconciles"]
        build_candidates(con, contracts[name], bytes.fromhex(TEST_KEY_HEX))
        promote(con, contracts[name])
    result = resolve_vendors(con, list(contracts.values()), load_config().linkage, "nc-test")
    yield con, loads, result
    con.close()


def test_contracts_are_not_in_the_default_folder():
    from datalabs_pipelines.contracts.loader import CONTRACTS_DIR

    assert not {c.name for c in load_contracts(CONTRACTS_DIR)} & set(FILES)


def test_both_directories_ingest_with_every_record_accounted_for(nc):
    con, loads, _ = nc
    dbe, hub = loads["nc_dot_dbe_directory"], loads["nc_hub_directory"]
    assert dbe.parse.records == 2236  # "2236 matchesfound"; two title lines skipped
    assert (dbe.rows_loaded, dbe.rows_quarantined) == (2234, 2)  # unescaped quotes in names
    assert (hub.rows_loaded, hub.rows_quarantined) == (4140, 0)
    name = con.execute(
        "SELECT business_name_match FROM staging.nc_hub_directory WHERE record_id = ?",
        ["nc_hub_directory.xls:6"],
    ).fetchall()
    assert name == [("1ST CLASS TRUCKING, INC.",)]


def _key(con, record_id):
    return con.execute(
        "SELECT vendor_key FROM integrated.vendor_keys WHERE record_id = ?", [record_id]
    ).fetchall()[0][0]


def test_firms_certified_by_both_bodies(nc):
    con, _, result = nc
    both = con.execute(
        """
        SELECT count(*) FROM (
            SELECT vendor_key FROM integrated.vendor_keys GROUP BY vendor_key
            HAVING count(DISTINCT source_extract) = 2)
        """
    ).fetchall()[0][0]
    smaller = con.execute(
        "SELECT min(n) FROM (SELECT count(DISTINCT vendor_key) AS n FROM integrated.vendor_keys "
        "GROUP BY source_extract)"
    ).fetchone()[0]
    print(f"NC firms in both directories: {both} of {smaller}; {result}")
    # The data's README says "about 450" firms are in both: a matcher finding far fewer misses
    # name variants, far more merges distinct firms; no more than the smaller directory holds.
    assert 300 <= both <= min(600, smaller)
    for dbe, hub in SAME_FIRM:
        assert _key(con, dbe) == _key(con, hub), (dbe, hub)
    for dbe, hub in DIFFERENT_FIRMS:
        assert _key(con, dbe) != _key(con, hub), (dbe, hub)
    assert result.review_pairs > 0  # the uncertain band is kept for review, not guessed
