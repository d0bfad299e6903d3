"""The names-agree guard (``link_guard`` of vendor_linkage.yaml): one owner's two businesses
at one address are not one business."""

import pytest

from datalabs_pipelines.procurement.config import load_config

NAME_AGREES = f"({load_config().linkage.link_guard})"


@pytest.mark.parametrize(
    ("left", "right", "agree"),
    [
        ("DANIELS PRODUCTION", "DANIELS TOURS", False),  # the owner's name alone
        ("J R SMITH PLUMBING", "JR SMITH PLUMBING", True),  # punctuation turned into a space
        ("BLUE SKY ROOFING", "BLUE SKY ROOFNG", True),  # a typo
        ("ACME", "ACMEE", True),
        ("NORTHSTAR", "NORTHSTAR LOGISTICS", False),
    ],
)
def test_names_agree(con, left, right, agree):
    got = con.execute(
        f"SELECT coalesce({NAME_AGREES}, false) "
        "FROM (SELECT ? AS name_norm, NULL AS dba_norm) l, "
        "(SELECT ? AS name_norm, NULL AS dba_norm) r",
        [left, right],
    ).fetchone()[0]
    assert got is agree


def test_a_name_equal_to_the_other_dba_agrees(con):
    got = con.execute(
        f"SELECT {NAME_AGREES} FROM (SELECT 'OKAFOR MARGARET' AS name_norm, 'DANIELS TOURS' "
        "AS dba_norm) l, (SELECT 'DANIELS TOURS' AS name_norm, NULL AS dba_norm) r"
    ).fetchone()[0]
    assert got is True
