"""The staging reports asset writes what the staging materializations reported: one writer for
``check_results``, ``extract_status`` and ``collapsed_lines``."""

from __future__ import annotations

import dagster as dg
import duckdb

from datalabs_pipelines.cleaning.reports import COLLAPSED_LINES, REASON, build_staging_reports
from datalabs_pipelines.quality.extract_status import HELD_BACK, LOADED
from datalabs_pipelines.quality.results import OUTCOMES
from datalabs_pipelines.warehouse import warehouse_resource


def staged(key: dg.AssetKey, metadata: dict) -> dg.AssetsDefinition:
    """A stand-in for a staging asset: it only reports."""

    @dg.asset(key=key)
    def _staged() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=metadata)

    return _staged


def report(status: str, rows: int, **more) -> dict:
    return {
        "status": status,
        "deliveries": 1,
        "dagster/row_count": rows,
        "candidate_rows": rows + 1 if status == HELD_BACK else rows,
        "promoted": status != HELD_BACK,
        OUTCOMES: dg.MetadataValue.json(
            [
                {
                    "check": "c",
                    "severity": "error",
                    "passed": status != HELD_BACK,
                    "unexpected_count": 1,
                }
            ]
        ),
        **more,
    }


def collapsed(delivery: str, lines: int) -> dict:
    return {
        COLLAPSED_LINES: dg.MetadataValue.json(
            [{"delivery": delivery, "lines": lines, "amount": "2.50"}]
        )
    }


def test_a_held_back_extract_keeps_its_collapsed_lines_and_says_why(
    isolated_env, people_contract, visits_contract
):
    contracts = [people_contract, visits_contract]
    keys = [dg.AssetKey(["staging", c.agency, c.name]) for c in contracts]
    reports = build_staging_reports(contracts, keys)
    resources = {"warehouse": warehouse_resource()}
    with dg.DagsterInstance.ephemeral() as instance:
        first = [
            staged(keys[0], report(LOADED, 5, **collapsed("p1.txt", 2))),
            staged(keys[1], report(LOADED, 3, **collapsed("v1.txt", 1))),
        ]
        assert dg.materialize([*first, reports], instance=instance, resources=resources).success
        second = [
            staged(keys[0], report(HELD_BACK, 5, **{REASON: "c: 1 row, first at p2.txt:3"})),
            staged(keys[1], report(LOADED, 3, **collapsed("v2.txt", 4))),
        ]
        assert dg.materialize([*second, reports], instance=instance, resources=resources).success
    with duckdb.connect(str(isolated_env / "warehouse.duckdb"), read_only=True) as con:
        statuses = con.execute(
            "SELECT extract, status, live_rows, candidate_rows, reason FROM staging.extract_status "
            "ORDER BY 1"
        ).fetchall()
        lines = con.execute(
            "SELECT extract, delivery, lines_collapsed, amount_collapsed::DOUBLE "
            "FROM staging.collapsed_lines ORDER BY 1"
        ).fetchall()
        failed = con.execute(
            "SELECT extract FROM staging.check_results WHERE NOT passed"
        ).fetchall()
    assert statuses == [
        ("people", HELD_BACK, 5, 6, "c: 1 row, first at p2.txt:3"),
        ("visits", LOADED, 3, 3, None),
    ]
    # people's live table did not change: its counts stay; visits' are replaced
    assert lines == [("people", "p1.txt", 2, 2.5), ("visits", "v2.txt", 4, 2.5)]
    assert failed == [("people",)]
