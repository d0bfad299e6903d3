"""The procurement assets in the graph, and the vendor-matching evaluator on a tiny truth."""

import dagster as dg

from datalabs_pipelines.definitions import defs
from datalabs_pipelines.evaluation.report import EVALUATORS
from datalabs_pipelines.evaluation.vendors import evaluate_vendor_matching
from datalabs_pipelines.procurement.assets import procurement_assets


def test_procurement_assets_are_in_the_graph():
    keys = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    for table in ("vendor_keys", "vendor_match_review", "certifications", "procurement_payments"):
        spec = keys[f"integrated/procurement/{table}"]
        assert spec.group_name == "integrated" and spec.tags["domain"] == "procurement"
    for mart in ("utilization", "disparity", "awards_vs_paid", "data_flags"):
        spec = keys[f"marts/procurement/procurement_{mart}"]
        assert spec.metadata["purpose"] == "procurement_equity"
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["marts", "procurement", "procurement_utilization"]))
    assert (
        dg.AssetKey(["integrated", "procurement", "procurement_payments"]) in upstream.parent_keys
    )


def test_no_procurement_assets_without_procurement_contracts():
    assert procurement_assets([]) == []


def test_vendor_matching_evaluator(con, tmp_path):
    assert EVALUATORS["vendor_matching"] is evaluate_vendor_matching
    (tmp_path / "firm_records.csv").write_text(
        "extract,delivery_file,line_number,firm_id,defect\n"
        "vendor_master,v.csv,2,F1,\nvendor_master,v.csv,3,F1,\n"
        "certified_firms,c.xlsx,3,F1,\ncertified_firms,c.xlsx,4,F2,\n"
    )
    con.execute("CREATE SCHEMA integrated")
    con.execute(
        "CREATE TABLE integrated.vendor_keys AS SELECT * FROM (VALUES "
        "('vendor_master', 'v.csv:2', 'K1'), ('vendor_master', 'v.csv:3', 'K2'), "
        "('certified_firms', 'c.xlsx:3', 'K1'), ('certified_firms', 'c.xlsx:4', 'K3')) "
        "t(source_extract, record_id, vendor_key)"
    )
    # truth pairs: (v2 v3) (v2 c3) (v3 c3) = 3; predicted: (v2 c3) = 1, correct
    report = evaluate_vendor_matching(con, tmp_path)
    assert (report["precision"], report["true_pairs"], report["correct_pairs"]) == (1.0, 3, 1)
    assert report["vendor_to_registry"]["true_pairs"] == 2
    assert report["vendor_to_registry"]["correct_pairs"] == 1
