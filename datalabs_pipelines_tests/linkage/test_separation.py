"""The separation principle, checked on the definitions: no pii column outside the pii group."""

import dagster as dg

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import defs


def pii_columns_by_contract() -> dict[str, set[str]]:
    return {c.name: {col.name for col in c.pii_columns} for c in all_contracts()}


def forbidden_columns(key: dg.AssetKey, by_contract: dict[str, set[str]]) -> set[str]:
    """A contract's raw and staging tables may not hold its pii columns; integrated and mart
    tables may hold none of any contract's."""
    layer, table = key.path[0], key.path[-1]
    if layer in ("raw", "staging"):
        return by_contract.get(table, set())
    return set().union(*by_contract.values())


def test_no_asset_outside_pii_declares_a_pii_column():
    by_contract = pii_columns_by_contract()
    checked = 0
    for spec in defs.resolve_all_asset_specs():
        schema = spec.metadata.get("dagster/column_schema")
        if spec.group_name == "pii" or schema is None:
            continue
        columns = {c.name for c in schema.columns}
        assert not columns & forbidden_columns(spec.key, by_contract), spec.key
        checked += 1
    assert checked > 20


def test_only_linkage_and_staging_read_the_pii_group():
    """Assets outside the pii group never depend on a pii asset, except the staging steps
    (which tokenize) and the linkage step that turns the crosswalk into person keys."""
    pii_keys = {s.key for s in defs.resolve_all_asset_specs() if s.group_name == "pii"}
    allowed = {dg.AssetKey(["integrated", "linkage", "person_keys"])}
    for spec in defs.resolve_all_asset_specs():
        if spec.group_name in ("pii", "staging") or spec.key in allowed:
            continue
        assert not {d.asset_key for d in spec.deps} & pii_keys, spec.key
