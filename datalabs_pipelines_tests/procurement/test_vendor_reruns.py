"""Vendor resolution run after run on the conformance cohort: every key persists, nothing is
logged as a change, and each run records the model it scored with."""

import json

import duckdb

from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.linkage import resolve_vendors
from datalabs_pipelines_tests.procurement.test_conformance import CONTRACTS_DIR, _staging


def test_keys_persist_and_every_run_records_its_model():
    linkage = load_config().linkage
    contracts = load_contracts(CONTRACTS_DIR)
    with duckdb.connect() as con:
        _staging(con)
        first = resolve_vendors(con, contracts, linkage, "run-1")
        keys = con.execute(
            "SELECT source_extract, record_id, vendor_key FROM integrated.vendor_keys"
        )
        before = sorted(keys.fetchall())
        again = resolve_vendors(con, contracts, linkage, "run-2", reestimated=True)
        after = sorted(
            con.execute(
                "SELECT source_extract, record_id, vendor_key FROM integrated.vendor_keys"
            ).fetchall()
        )
        assert after == before and first.new_keys == len({k for *_, k in before})
        assert (again.new_keys, again.merges, again.splits) == (0, 0, 0)
        assert con.execute("SELECT count(*) FROM integrated.vendor_key_changes").fetchone() == (0,)
        runs = con.execute(
            "SELECT run_id, committed_version, used_version, reestimated, refused "
            "FROM integrated.vendor_linkage_models ORDER BY run_id"
        ).fetchall()
    committed = load_model(linkage.model_path).version
    assert runs[0] == ("run-1", committed, committed, False, "[]")
    run_id, version, _, reestimated, refused = runs[1]
    assert (run_id, version, reestimated) == ("run-2", committed, again.model["reestimated"])
    assert all(set(d) == {"comparison", "level", "delta_log2_bf"} for d in json.loads(refused))
