"""A vendor registered at its remit-to PO box still links to its registry record."""

import duckdb

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.splink_model import score_pairs


def _probability(other: tuple) -> float:
    linkage = load_config().linkage
    columns = linkage.columns
    street = ("a", "DANIELS TOURS", None, "12 MAIN ST", "12", "PEORIA", "61602", "3095550100")
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE recs ({' VARCHAR, '.join(columns)} VARCHAR)")
        con.executemany(f"INSERT INTO recs VALUES ({', '.join('?' * len(columns))})",
                        [street, other])  # fmt: skip
        score_pairs(con, "recs", load_model(linkage.model_path), 0.0)
        return con.execute("SELECT coalesce(max(match_probability), 0) FROM _scored").fetchone()[0]


def test_po_box_with_no_phone_links_like_a_missing_address():
    accept = load_config().linkage.accept_probability
    po_box = ("b", "DANIELS TOURS", None, "PO BOX 4471", None, "PEORIA", "61602", None)
    no_address = ("b", "DANIELS TOURS", None, None, None, "PEORIA", "61602", None)
    assert _probability(po_box) >= accept
    assert abs(_probability(po_box) - _probability(no_address)) < 1e-9


def test_other_street_with_other_phone_stays_apart():
    accept = load_config().linkage.accept_probability
    other = ("b", "DANIELS TOURS", None, "480 LAKE AVE", "480", "PEORIA", "61602", "3095550199")
    assert _probability(other) < accept
