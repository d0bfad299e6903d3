"""Vendor resolution links incrementally too: after two records arrive (one like an existing
firm, one of a firm of its own), scoring only pairs touching them ends where a full
re-clustering of the same records ends, with the keys kept."""

import duckdb

from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.linkage import resolve_vendors, resolve_vendors_if_changed
from datalabs_pipelines_tests.procurement.test_conformance import CONTRACTS_DIR, _staging

KEYS = "SELECT source_extract, record_id, vendor_key FROM integrated.vendor_keys ORDER BY 1, 2"


def test_incremental_vendor_resolution_equals_a_full_one():
    linkage = load_config().linkage
    contracts = load_contracts(CONTRACTS_DIR)
    with duckdb.connect() as con:
        _staging(con)
        first = resolve_vendors(con, contracts, linkage, "run-1")
        before = con.execute(KEYS).fetchall()
        con.execute(
            "INSERT INTO staging.vendor_master VALUES "
            "('vm2.csv:2', 'V6', 'DELTA PAVING COMPANY', NULL, NULL, '5 Pine Street', "
            "'Springfield', 'IL', '62705', '217-555-0005', '237310', DATE '2024-01-01'), "
            "('vm2.csv:3', 'V7', 'Epsilon Catering', NULL, '777777777', '7 Birch St', "
            "'Springfield', 'IL', '62707', '2175550007', '722320', DATE '2024-01-01')"
        )
        second = resolve_vendors(con, contracts, linkage, "run-2")
        incremental = con.execute(KEYS).fetchall()
        full = resolve_vendors(con, contracts, linkage, "run-3", full=True)
        assert con.execute(KEYS).fetchall() == incremental
    assert not first.incremental and second.incremental and not full.incremental
    assert second.new_profiles == 2 and second.pairs_compared < first.pairs_compared
    assert full.new_keys == 0 and (full.merges, full.splits) == (0, 0)
    # the records there before keep their keys
    assert set(before) <= set(incremental)


def test_a_resolution_whose_inputs_did_not_change_keeps_every_table():
    """A night that brought no business record resolves nothing; a new record, or a full
    re-clustering asked for, resolves again."""
    linkage = load_config().linkage
    contracts = load_contracts(CONTRACTS_DIR)
    with duckdb.connect() as con:
        _staging(con)
        assert resolve_vendors_if_changed(con, contracts, linkage, "run-1") is not None
        before = con.execute(KEYS).fetchall()
        runs = "SELECT count(*) FROM integrated.vendor_linkage_models"
        logged = con.execute(runs).fetchone()[0]
        assert resolve_vendors_if_changed(con, contracts, linkage, "run-2") is None
        assert con.execute(KEYS).fetchall() == before
        assert con.execute(runs).fetchone()[0] == logged  # nothing ran, nothing logged
        assert resolve_vendors_if_changed(con, contracts, linkage, "run-3", full=True)
        con.execute(
            "INSERT INTO staging.vendor_master VALUES "
            "('vm2.csv:2', 'V6', 'DELTA PAVING COMPANY', NULL, NULL, '5 Pine Street', "
            "'Springfield', 'IL', '62705', '217-555-0005', '237310', DATE '2024-01-01')"
        )
        again = resolve_vendors_if_changed(con, contracts, linkage, "run-4")
        assert again is not None and again.new_profiles == 1
        assert len(con.execute(KEYS).fetchall()) == len(before) + 1
