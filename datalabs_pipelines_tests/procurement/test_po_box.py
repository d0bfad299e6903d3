"""A vendor registered at its remit-to PO box still links to its registry record."""

import duckdb

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.scoring import PAIRS, score_profiles
from datalabs_pipelines.procurement.config import load_config


def _probability(other: tuple) -> float:
    linkage = load_config().linkage
    columns = linkage.columns
    street = ("a", "DANIELS TOURS", None, None, "12 MAIN ST", "12", "PEORIA", "61602",
              "3095550100")  # fmt: skip
    with duckdb.connect() as con:
        con.execute(f"CREATE TEMP TABLE {PROFILES} ({' VARCHAR, '.join(columns)} VARCHAR)")
        con.executemany(f"INSERT INTO {PROFILES} VALUES ({', '.join('?' * len(columns))})",
                        [street, other])  # fmt: skip
        score_profiles(con, load_model(linkage.model_path), linkage.unique_id)
        return con.execute(f"SELECT coalesce(max(match_probability), 0) FROM {PAIRS}").fetchone()[0]


def test_po_box_with_no_phone_links_like_a_missing_address():
    accept = load_config().linkage.accept_probability
    po_box = ("b", "DANIELS TOURS", None, None, "PO BOX 4471", None, "PEORIA", "61602", None)
    no_address = ("b", "DANIELS TOURS", None, None, None, None, "PEORIA", "61602", None)
    assert _probability(po_box) >= accept
    assert abs(_probability(po_box) - _probability(no_address)) < 1e-9


def test_other_street_with_other_phone_stays_apart():
    accept = load_config().linkage.accept_probability
    other = (
        "b",
        "DANIELS TOURS",
        None,
        None,
        "480 LAKE AVE",
        "480",
        "PEORIA",
        "61602",
        "3095550199",
    )
    assert _probability(other) < accept


def test_a_typo_in_the_name_with_a_po_box_is_still_reached_and_linked():
    """Only the name-prefix-and-city rule reaches this pair (other address, no phone, a typo
    in the name): the names agree, so it is scored and linked."""
    accept = load_config().linkage.accept_probability
    typo = ("b", "DANIELS TOUSR", None, None, "PO BOX 4471", None, "PEORIA", "61602", None)
    assert _probability(typo) >= accept


def test_a_shared_name_prefix_and_city_alone_is_not_scored():
    """DANIELSON HARDWARE shares DANIELS TOURS' six-letter prefix and city but not its name
    (similarity 0.84, under the link guard's 0.88): the rule no longer hands Splink such pairs,
    which grow with the square of a city's firms."""
    other = ("b", "DANIELSON HARDWARE", None, None, "PO BOX 4471", None, "PEORIA", "61602", None)
    assert _probability(other) == 0
