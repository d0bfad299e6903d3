"""The publish asset: the snapshot dashboards read, assembled mart by mart.

Every mart step materializes whatever happened to its sources (``marts.status``), so this step
always runs: fresh marts are published as just built, held-back ones as their last good table
(stale), not-measurable ones empty, blocked ones not at all; ``mart_status`` says which is
which. Its blocking ``disclosure_gate`` check runs on the tables as written to the temporary
snapshot file, before the file replaces the published one.
"""

from collections.abc import Iterator, Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.governance.disclosure import disclosure_threshold
from datalabs_pipelines.governance.disclosure_releases import Releases
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.marts.status import FRESH, mart_statuses
from datalabs_pipelines.privacy_tokens import linkage_key
from datalabs_pipelines.publishing.audit_memory import (
    memory_path,
    read_known,
    read_releases,
    write_memory,
)
from datalabs_pipelines.publishing.snapshot import DisclosureGateFailed, publish_snapshot
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import warehouse_pool

SNAPSHOT = dg.AssetKey(["published", "platform", "datalabs"])
DISCLOSURE_GATE = "disclosure_gate"


def build_published_snapshot(
    mart_keys: Sequence[dg.AssetKey],
    declarations: Sequence[MartDeclaration] = (),
    ungated: Sequence[str] = (),
    freshness_policy: dg.FreshnessPolicy | None = None,
) -> dg.AssetsDefinition:
    """``ungated``: undeclared ``marts`` tables published as they are (the data dictionary)."""
    by_name = {d.name: d for d in declarations}
    gated = sorted(d.name for d in declarations if d.disclosure_control)

    @dg.asset(
        key=SNAPSHOT,
        deps=list(mart_keys),
        group_name="published",
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "public"},
        check_specs=[
            dg.AssetCheckSpec(
                DISCLOSURE_GATE,
                asset=SNAPSHOT,
                blocking=True,
                description="Small counts suppressed, no suppressed cell recoverable from "
                "totals, rates on suppressed bases suppressed; verified on the tables in the "
                "new snapshot before it replaces the old one, and audited by linear programming "
                "over every published number: no suppressed count narrower than the threshold. "
                f"Gated: {', '.join(gated) or '-'}.",
            )
        ],
        pool=warehouse_pool("published_snapshot"),
        freshness_policy=freshness_policy,
    )
    def published_snapshot(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        """Read-only snapshot for dashboards. Source: every declared table in schema `marts`,
        through the disclosure gate where declared. Grain: the marts' own. Target:
        `data/published/datalabs.duckdb` with `mart_status` (each mart's status, reason,
        data_through and built_at), replaced atomically when the gated tables pass the
        disclosure gate."""
        settings = get_settings()
        target = settings.published_path
        threshold = disclosure_threshold()
        memory = memory_path(settings.warehouse_path)
        key = linkage_key()
        prior = read_releases(memory, key)
        if prior is None and target.exists():
            context.log.warning(
                f"no memory of the snapshots published before ({memory} is missing, "
                "unreadable or written under another linkage key): this publish's disclosure "
                "audit cannot combine them with it"
            )
        with warehouse.get_connection() as con:
            statuses = mart_statuses(con)
            try:
                result = publish_snapshot(
                    con,
                    target,
                    by_name,
                    threshold,
                    ungated,
                    read_known(memory),
                    key,
                    prior,
                )
            except DisclosureGateFailed as failed:
                yield dg.AssetCheckResult(
                    check_name=DISCLOSURE_GATE,
                    passed=False,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"threshold": threshold, "problems": failed.problems[:50]},
                )
                raise dg.Failure(
                    description="Not publishing: the disclosure gate failed: "
                    f"{failed}. The previous snapshot stays in place."
                ) from failed
        if result.audit:
            try:  # a memory that cannot be kept costs the next publish time, not this one
                releases = (prior or Releases()).after(result.audit.told)
                write_memory(memory, result.audit.solved, releases, key)
            except OSError as error:
                context.log.warning(
                    f"the disclosure audit's memory was not kept ({type(error).__name__}): "
                    "the next publish solves every system and cannot combine this snapshot "
                    "with its own"
                )
        for table, finding in (result.audit.withheld if result.audit else {}).items():
            context.log.warning(f"marts.{table} withheld by the disclosure audit: {finding}")
        if result.audit and result.audit.forced:
            context.log.warning(
                f"{len(result.audit.forced)} suppressed counts are narrowed by the snapshots "
                "published before together with tonight's rows, whatever tonight suppresses "
                f"(first: {result.audit.forced[0]})"
            )
        for table in result.unpublished:
            context.log.warning(f"marts.{table} has no declaration and was not published")
        context.log.info(f"published {len(result.counts)} tables to {target}")
        not_fresh = {m: f"{s}: {r}" for m, _, s, r, *_ in statuses if s != FRESH}
        yield dg.MaterializeResult(
            metadata={
                "marts_not_fresh": dg.MetadataValue.json(not_fresh),
                "path": dg.MetadataValue.path(str(target)),
                "tables": dg.MetadataValue.json(result.counts),
                "dagster/row_count": sum(result.counts.values()),
            }
        )
        yield dg.AssetCheckResult(
            check_name=DISCLOSURE_GATE,
            passed=True,
            metadata={
                "threshold": threshold,
                "gated": dg.MetadataValue.json(
                    {
                        r.table: {
                            "rows": r.rows,
                            "count_cells": r.cells,
                            "primary": r.primary,
                            "complementary": r.complementary,
                            "derived": r.derived,
                            "rounds": r.rounds,
                        }
                        for r in result.gate
                    }
                ),
                "audit": dg.MetadataValue.json(
                    {
                        "seconds": round(result.audit.seconds, 2),
                        "rounds": result.audit.rounds,
                        "linear_programs": result.audit.programs,
                        "systems": result.audit.systems,
                        "systems_reused": result.audit.reused,
                        "forced_by_earlier_snapshots": len(result.audit.forced),
                        "earlier_publishes_combined": prior.publishes if prior else 0,
                        "marts": {
                            m.table: {
                                "cells": m.cells,
                                "suppressed": m.suppressed,
                                "recoverable": m.recoverable,
                            }
                            for m in result.audit.marts
                        },
                    }
                    if result.audit
                    else {}
                ),
            },
        )

    return published_snapshot
