"""The code location's single entry point: it only assembles what each concept contributes."""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.assets_common import freshness_of
from datalabs_pipelines.automation.schedules import (
    build_monthly_full_relink_schedule,
    build_nightly_job,
    build_nightly_schedule,
)
from datalabs_pipelines.automation.sensors import build_landing_sensor, build_load_jobs
from datalabs_pipelines.cleaning.assets import staging_assets
from datalabs_pipelines.cleaning.reports import build_staging_reports
from datalabs_pipelines.contracts import Contract, all_contracts, contract_errors
from datalabs_pipelines.contracts.assets import contract_error_specs
from datalabs_pipelines.dashboard.assets import build_dashboard_asset
from datalabs_pipelines.gc_tuning import tune_garbage_collector
from datalabs_pipelines.governance.dictionary_assets import (
    DICTIONARY_TABLE,
    build_dictionary_asset,
    build_dictionary_page_asset,
)
from datalabs_pipelines.ingestion.assets import raw_assets
from datalabs_pipelines.ingestion.ledger_views import build_ledger_views
from datalabs_pipelines.interrupts import keep_interrupts
from datalabs_pipelines.linkage.assets import CROSSWALK_OP, linkage_assets
from datalabs_pipelines.mart_assets import build_mart_asset
from datalabs_pipelines.marts.registry import mart_declarations
from datalabs_pipelines.marts.status import MART_STATUS, build_mart_status_asset
from datalabs_pipelines.outcomes.assets import outcome_assets
from datalabs_pipelines.outcomes.linkage import with_person_keys
from datalabs_pipelines.procurement.assets import VENDOR_RESOLUTION_OP, procurement_assets
from datalabs_pipelines.publishing.assets import SNAPSHOT, build_published_snapshot
from datalabs_pipelines.quality.results import RESULTS_KEY
from datalabs_pipelines.run_lease import build_dead_run_sensor
from datalabs_pipelines.warehouse import warehouse_resource


def with_freshness(assets: list, contracts: Sequence[Contract]) -> list:
    """Integrated assets: the freshness of their domain's fastest extract (all, if none)."""

    def policy(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.freshness_policy is not None:
            return spec
        domain = [c for c in contracts if c.domain == spec.tags.get("domain")]
        return spec.replace_attributes(freshness_policy=freshness_of(domain or contracts))

    return list(dg.map_asset_specs(policy, assets))


def build_definitions(contracts: Sequence[Contract] | None = None) -> dg.Definitions:
    # Invalid contracts of the configured folder show as entries of their own (none when the
    # caller passes its contracts).
    errors = contract_errors() if contracts is None else ()
    contracts = list(all_contracts() if contracts is None else contracts)
    declarations = mart_declarations(contracts)
    marts = [build_mart_asset(d, contracts) for d in declarations]
    load_jobs = build_load_jobs(contracts)
    nightly = build_nightly_job(contracts)
    linkage = linkage_assets(contracts)
    procurement = procurement_assets(contracts)
    relinked = [
        op
        for op, assets in ((CROSSWALK_OP, linkage), (VENDOR_RESOLUTION_OP, procurement))
        if assets
    ]
    described = with_person_keys(
        [
            *raw_assets(contracts),
            *staging_assets(contracts),
            *with_freshness(
                [
                    *linkage,
                    *procurement,
                    *outcome_assets(contracts),
                ],
                contracts,
            ),
            *marts,
        ]
    )
    staging_reports = build_staging_reports(
        contracts, [dg.AssetKey(["staging", c.agency, c.name]) for c in contracts]
    )
    mart_keys = [k for m in marts for k in m.keys]
    mart_status = build_mart_status_asset(declarations, mart_keys)
    dictionary = build_dictionary_asset(
        [s for a in described for s in a.specs],
        contracts,
        declarations,
        [*mart_keys, *mart_status.keys],
    )
    return dg.Definitions(
        assets=[
            *described,
            build_ledger_views(contracts),
            staging_reports,
            mart_status,
            dictionary,
            build_published_snapshot(  # it reads `staging.check_results` too
                [*mart_keys, *mart_status.keys, *dictionary.keys, RESULTS_KEY],
                declarations,
                ungated=[DICTIONARY_TABLE[1], MART_STATUS[1]],
                freshness_policy=freshness_of(contracts),
            ),
            build_dictionary_page_asset(SNAPSHOT),
            build_dashboard_asset(SNAPSHOT),
            *contract_error_specs(errors),
        ],
        schedules=[
            build_nightly_schedule(nightly, contracts),
            # the monthly full re-clustering, for the linkage steps (they link incrementally)
            *([build_monthly_full_relink_schedule(nightly, relinked)] if relinked else []),
        ],
        jobs=[*load_jobs, nightly],
        sensors=[build_landing_sensor(contracts, load_jobs), build_dead_run_sensor()],
        resources={"warehouse": warehouse_resource()},
        # Runs launched from the UI for a selection of assets: one process, as the jobs above.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
tune_garbage_collector()  # in every process that imports the code location to run its jobs
keep_interrupts()  # the same: a run's log tails stay stoppable (interrupts.py)
