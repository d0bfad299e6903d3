"""The person-linkage table the integrated facts read, and a stand-in while linkage is absent.

``integrated.person_keys(source_extract, record_id, person_key, carries_ssn)`` is written by the
person linkage asset ``integrated/linkage/person_keys``: one row per staged person record. It is the
only way the outcome facts learn who is who; they never read the ``pii`` schema.
"""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.linkage.person_keys import (
    PERSON_KEYS,
    PERSON_KEYS_COLUMNS,
    PERSON_KEYS_KEY,
    ensure_person_keys,
)
from datalabs_pipelines.warehouse import qualified, table_exists, warehouse_pool


def person_keys_placeholder() -> dg.AssetsDefinition:
    """Stands in for the linkage asset when it is not in the code location."""

    @dg.asset(
        key=PERSON_KEYS_KEY,
        group_name="integrated",
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={"domain": "linkage", "classification": "confidential"},
        metadata={"dagster/column_schema": column_schema(PERSON_KEYS_COLUMNS)},
        pool=warehouse_pool(PERSON_KEYS_KEY.path[-1]),
    )
    def person_keys(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> dg.MaterializeResult:
        """Stand-in for person linkage, which is not installed in this code location. Source:
        none (the linkage asset writes this table). Grain: one row per staged person record.
        Target: `integrated.person_keys`, left as it is, or created empty when missing so that
        the outcome facts and marts build (empty) and publishing is not held up."""
        with warehouse.get_connection() as con:
            if not table_exists(con, PERSON_KEYS):
                context.log.warning(
                    "person linkage is not installed: integrated.person_keys is created empty, "
                    "so the outcome facts and marts are empty"
                )
            ensure_person_keys(con)
            return dg.MaterializeResult(
                metadata=table_metadata(con, PERSON_KEYS, preview=False)
                | {"dagster/table_name": qualified(PERSON_KEYS), "stand_in": True}
            )

    return person_keys


def with_person_keys(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """``assets``, plus the stand-in when something reads person_keys and nothing writes it."""
    written = {key for a in assets for key in a.keys}
    read = {dep for a in assets for deps in a.asset_deps.values() for dep in deps}
    if PERSON_KEYS_KEY in read and PERSON_KEYS_KEY not in written:
        return [*assets, person_keys_placeholder()]
    return list(assets)
