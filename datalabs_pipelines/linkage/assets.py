"""Linkage assets: the pii crosswalk (with its change log) and the de-identified person keys.

The crosswalk step is the only step besides staging that reads the pii schema; what it hands
on (``integrated.person_keys``) holds nothing but extract, record id, ``person_key`` and
whether the record carries an SSN (a flag, never the number).
"""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import asset_key, column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.linkage.declaration import load_declaration
from datalabs_pipelines.linkage.incremental import SCORED_PAIRS_COLUMNS, SCORED_PROFILES_COLUMNS
from datalabs_pipelines.linkage.keys import (
    CHANGES,
    CHANGES_COLUMNS,
    CROSSWALK,
    CROSSWALK_COLUMNS,
)
from datalabs_pipelines.linkage.model_runs import (
    MODEL_RUNS_COLUMNS,
    LinkageRunConfig,
    model_metadata,
    refusal_summary,
)
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.person_keys import (
    PERSON_KEYS,
    PERSON_KEYS_COLUMNS,
    PERSON_KEYS_KEY,
    write_person_keys,
)
from datalabs_pipelines.linkage.persons import (
    CACHE,
    KEPT,
    MODEL_RUNS,
    REVIEW,
    REVIEW_FIELDS,
    person_entity,
)
from datalabs_pipelines.linkage.prepare import RECORDS_SCHEMA
from datalabs_pipelines.linkage.prepared import DELIVERIES_COLUMNS
from datalabs_pipelines.linkage.profiles import COLUMNS as PROFILE_COLUMNS
from datalabs_pipelines.linkage.review import review_columns
from datalabs_pipelines.linkage.run import link
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.warehouse import warehouse_pool

CROSSWALK_KEY = dg.AssetKey(["pii", "linkage", "person_crosswalk"])
CHANGES_KEY = dg.AssetKey(["pii", "linkage", "person_key_changes"])
REVIEW_KEY = dg.AssetKey(["pii", "linkage", "person_match_review"])
MODEL_RUNS_KEY = dg.AssetKey(["integrated", "linkage", "person_linkage_models"])
SCORED_PROFILES_KEY = dg.AssetKey(["pii", "linkage", CACHE.profiles[1]])
SCORED_PAIRS_KEY = dg.AssetKey(["pii", "linkage", CACHE.pairs[1]])
PREPARED_KEYS = {
    table: dg.AssetKey(["pii", "linkage", table[1]])
    for table in (KEPT.records, KEPT.profiles, KEPT.deliveries)
}
PREPARED_COLUMNS = {
    KEPT.records: {
        **RECORDS_SCHEMA,
        "cluster0": ("VARCHAR", "the record's deterministic cluster (its smallest node)"),
        "profile_id": ("VARCHAR", "hash of the cluster and the compared fields"),
    },
    KEPT.profiles: {
        "unique_id": ("VARCHAR", "profile id: hash of the cluster and the compared fields"),
        "cluster0": ("VARCHAR", "the profile's deterministic cluster"),
        **{column: RECORDS_SCHEMA[column] for column in PROFILE_COLUMNS},
    },
    KEPT.deliveries: DELIVERIES_COLUMNS,
}
PREPARED_DESCRIPTIONS = {
    KEPT.records: "Every person record as linkage prepares it (normalized identity fields and "
    "keys), with its deterministic cluster and profile, so the next run prepares only new "
    "deliveries' records (`linkage/prepared.py`). Grain: one row per staged record of every "
    "person extract.",
    KEPT.profiles: "The identity profiles of the prepared records (what Splink scores). "
    "Grain: one row per profile.",
    KEPT.deliveries: "The deliveries the prepared records come from, each with its version "
    "(staged rows, load time, typing fingerprint) and the hash of what preparation depends on. "
    "Grain: one row per delivery of every person extract.",
}
OWNERS = ["team:data_platform"]
CROSSWALK_OP = "linkage__person_crosswalk"  # its run config: ``LinkageRunConfig``


def _tags(classification: str) -> dict[str, str]:
    return {"domain": "platform", "classification": classification}


def linkage_inputs(contracts: Sequence[Contract]) -> list[dg.AssetKey]:
    """Staging and identity assets of every person source: what the crosswalk reads."""
    keys = []
    for contract, _ in person_sources(contracts).values():
        keys.append(asset_key("staging", contract))
        if contract.pii_columns:
            keys.append(asset_key("pii", contract, f"{contract.name}_identities"))
    return keys


def build_crosswalk_asset(contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    sources = person_sources(contracts)
    names = ", ".join(f"`{n}`" for n in sources)
    specs = [
        dg.AssetSpec(
            key=CROSSWALK_KEY,
            description=(
                "Which person each record is: agency ids and verified SSNs group records, the "
                "committed Splink model (or, with run config `reestimate: true`, the model "
                "re-estimated on this warehouse within guard rails) scores the rest, clusters "
                "span all sources, and keys "
                f"persist across runs. Source: staging and `pii.<extract>_identities` of {names}. "
                "Grain: one row per staged record of every person extract. "
                "Target: `pii.person_crosswalk`."
            ),
            group_name="pii",
            deps=linkage_inputs(contracts),
            owners=OWNERS,
            kinds={"duckdb", "splink"},
            tags=_tags("pii"),
            metadata={"dagster/column_schema": column_schema(CROSSWALK_COLUMNS)},
        ),
        dg.AssetSpec(
            key=CHANGES_KEY,
            description=(
                "Log of person-key merges and splits. Source: the previous and the new "
                "`pii.person_crosswalk`. Grain: one row per run, old key and new key whose "
                "records moved. Target: `pii.person_key_changes`."
            ),
            group_name="pii",
            deps=[CROSSWALK_KEY],
            owners=OWNERS,
            kinds={"duckdb", "sql"},
            tags=_tags("pii"),
            metadata={"dagster/column_schema": column_schema(CHANGES_COLUMNS)},
        ),
        dg.AssetSpec(
            key=REVIEW_KEY,
            description=(
                "Uncertain person pairs left unlinked for a person to decide (the review-table "
                "schema vendor resolution uses too). Source: the scored profile pairs and "
                "`pii.person_crosswalk`. Grain: one row per profile pair scored from the "
                "declared review probability up to the model's threshold whose records carry "
                "different keys. Target: `pii.person_match_review`."
            ),
            group_name="pii",
            deps=[CROSSWALK_KEY],
            owners=OWNERS,
            kinds={"duckdb", "sql"},
            tags=_tags("pii"),
            metadata={
                "dagster/column_schema": column_schema(review_columns("person_key", REVIEW_FIELDS))
            },
        ),
        dg.AssetSpec(
            key=MODEL_RUNS_KEY,
            description=(
                "Which model each person-linkage run scored with: committed file and its hash, "
                "parameter versions, whether it was re-estimated, and refused re-estimates. "
                "Source: the linkage step that writes the crosswalk (no identities). "
                "Grain: one row per run. "
                "Target: `integrated.person_linkage_models`."
            ),
            group_name="integrated",
            owners=OWNERS,
            kinds={"duckdb", "splink"},
            tags=_tags("confidential"),
            metadata={"dagster/column_schema": column_schema(MODEL_RUNS_COLUMNS)},
        ),
        dg.AssetSpec(
            key=SCORED_PROFILES_KEY,
            description=(
                "The profiles the last person-linkage run scored, so the next scores only "
                "pairs touching a new one (`linkage/incremental.py`). Source: the linkage step. "
                "Grain: one row per identity profile (ids and hashes, no values). "
                "Target: `pii.person_scored_profiles`."
            ),
            group_name="pii",
            deps=[CROSSWALK_KEY],
            owners=OWNERS,
            kinds={"duckdb", "splink"},
            tags=_tags("pii"),
            metadata={"dagster/column_schema": column_schema(SCORED_PROFILES_COLUMNS)},
        ),
        dg.AssetSpec(
            key=SCORED_PAIRS_KEY,
            description=(
                "Scored profile pairs from the review probability up, kept for the next "
                "incremental run. Source: the linkage step's Splink scores. Grain: one row per "
                "profile pair. Target: `pii.person_scored_pairs`."
            ),
            group_name="pii",
            deps=[CROSSWALK_KEY],
            owners=OWNERS,
            kinds={"duckdb", "splink"},
            tags=_tags("pii"),
            metadata={"dagster/column_schema": column_schema(SCORED_PAIRS_COLUMNS)},
        ),
        *(
            dg.AssetSpec(
                key=key,
                description=(
                    f"{PREPARED_DESCRIPTIONS[table]} Source: the linkage step. "
                    f"Target: `{table[0]}.{table[1]}`."
                ),
                group_name="pii",
                deps=[CROSSWALK_KEY],
                owners=OWNERS,
                kinds={"duckdb", "sql"},
                tags=_tags("pii"),
                metadata={"dagster/column_schema": column_schema(PREPARED_COLUMNS[table])},
            )
            for table, key in PREPARED_KEYS.items()
        ),
    ]

    @dg.multi_asset(name=CROSSWALK_OP, specs=specs, pool=warehouse_pool(CROSSWALK_KEY.path[-1]))
    def person_crosswalk(
        context: dg.AssetExecutionContext, config: LinkageRunConfig, warehouse: DuckDBResource
    ):
        declaration = load_declaration()
        committed = load_model(declaration.model_path)
        with warehouse.get_connection() as con:
            result = link(
                con,
                person_entity(sources, declaration),
                committed,
                context.run_id,
                reestimated=config.reestimate,
                full=config.full_relink,
            )
            crosswalk_meta = table_metadata(con, CROSSWALK, preview=False)
            changes_meta = table_metadata(con, CHANGES, preview=False)
            review_meta = table_metadata(con, REVIEW, preview=False)
            runs_meta = table_metadata(con, MODEL_RUNS, preview=False)
            cache_meta = {
                key: table_metadata(con, table, preview=False)
                for key, table in (
                    (SCORED_PROFILES_KEY, CACHE.profiles),
                    (SCORED_PAIRS_KEY, CACHE.pairs),
                    *((key, table) for table, key in PREPARED_KEYS.items()),
                )
            }
        if refusals := refusal_summary(result.model):
            context.log.warning(refusals)
        model = model_metadata(result.model)
        context.log.info(
            f"linked {result.records:,} records into {result.entities:,} persons; "
            f"{result.pairs_compared:,} pairs compared ("
            + (
                f"incremental: {result.new_profiles:,} new profiles, "
                f"{result.pairs_cached:,} pairs kept"
                if result.incremental
                else f"full: {result.full_reason}"
            )
            + f") in {result.seconds:.1f} s"
            + (
                f"; {result.records_removed:,} kept records of reloaded or withdrawn deliveries "
                "taken out"
                if result.records_removed
                else ""
            )
        )
        yield dg.MaterializeResult(
            asset_key=CROSSWALK_KEY,
            metadata={
                **crosswalk_meta,
                **result.as_metadata(),
                **model,
            },
        )
        yield dg.MaterializeResult(
            asset_key=CHANGES_KEY,
            metadata={**changes_meta, "merges": result.merges, "splits": result.splits},
        )
        yield dg.MaterializeResult(asset_key=REVIEW_KEY, metadata=review_meta)
        yield dg.MaterializeResult(asset_key=MODEL_RUNS_KEY, metadata={**runs_meta, **model})
        for key, meta in cache_meta.items():
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    **meta,
                    "incremental": result.incremental,
                    "prepared_in_full": result.prepared_in_full,
                },
            )

    return person_crosswalk


def build_person_keys_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=PERSON_KEYS_KEY,
        deps=[CROSSWALK_KEY],
        group_name="integrated",
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        tags=_tags("confidential"),
        metadata={"dagster/column_schema": column_schema(PERSON_KEYS_COLUMNS)},
        pool=warehouse_pool(PERSON_KEYS_KEY.path[-1]),
    )
    def person_keys(warehouse: DuckDBResource) -> dg.MaterializeResult:
        """Record → person_key, without probabilities or identifiers (only whether the record
        carries an SSN, for link coverage): the only way integrated facts and marts get a
        person. Source: `pii.person_crosswalk`. Grain: one row per staged
        record of every person extract. Target: `integrated.person_keys`."""
        with warehouse.get_connection() as con:
            write_person_keys(con)
            return dg.MaterializeResult(metadata=table_metadata(con, PERSON_KEYS))

    return person_keys


def linkage_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """The linkage assets, or none when the contracts hold no person source."""
    if not person_sources(contracts):
        return []
    return [build_crosswalk_asset(contracts), build_person_keys_asset()]
