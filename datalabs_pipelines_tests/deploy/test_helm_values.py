"""The Helm values set only keys of Dagster's chart, in the chart's shape (mapping or list),
as listed in chart-keys.txt after checking them against the chart's values schema."""

from __future__ import annotations

from pathlib import Path

import yaml

import datalabs_pipelines.deploy as deploy

HELM = Path(deploy.__file__).parent / "helm"


def key_paths(value: object, prefix: str = "") -> set[str]:
    """Every leaf's path: mapping keys joined by dots, a list item as ``[]``."""
    if isinstance(value, dict):
        return set().union(
            *(key_paths(v, f"{prefix}.{k}" if prefix else k) for k, v in value.items())
        )
    if isinstance(value, list):
        return set().union(*(key_paths(v, f"{prefix}[]") for v in value))
    return {prefix}


def allowed(path: str, keys: set[str]) -> bool:
    """``path`` is listed, or lies under a listed pass-through object (``x.*``)."""
    return path in keys or any(k.endswith(".*") and path.startswith(k[:-1]) for k in keys)


def chart_keys() -> set[str]:
    lines = (HELM / "chart-keys.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_key_paths_encode_the_shape():
    values = {"a": {"b": [{"c": 1}, {"c": 2, "d": {"e": "x"}}]}, "f": True}
    assert key_paths(values) == {"a.b[].c", "a.b[].d.e", "f"}


def test_pass_through_objects_take_any_keys_below_them():
    keys = {"x.resources.*", "y"}
    assert allowed("x.resources.limits.memory", keys) and allowed("y", keys)
    assert not allowed("x.resourcesx", keys) and not allowed("y.z", keys)


def test_the_values_use_only_the_charts_keys():
    values = yaml.safe_load((HELM / "values.yaml").read_text())
    keys = chart_keys()
    unknown = sorted(p for p in key_paths(values) if not allowed(p, keys))
    assert unknown == []
