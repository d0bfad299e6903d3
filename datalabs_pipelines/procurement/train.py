"""Offline training of the vendor-resolution model; never called by the pipeline.

Usage: ``python -m datalabs_pipelines.procurement.train WAREHOUSE [OUT]``. Reads
``integrated.business_records`` from a warehouse built by ``datalabs run`` and estimates the
parameters without labels (random-sampling u, expectation maximisation for m), floors every m
probability at ``M_FLOOR`` (the synthetic sample never shows a true match with a different ZIP
or a typo in the city, which would otherwise make any such disagreement a veto on real
registries), then writes the model file (``linkage.modelfile``'s format, with the threshold of
the model it replaces). Commit the file under a new version name and point ``config.yaml`` at
it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
from splink import block_on

from datalabs_pipelines.linkage.modelfile import MatchModel, save_model
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.splink_model import _linker, records_arrow, settings

SEED = 2026
M_FLOOR = 0.01


def floor_m(model: dict, floor: float = M_FLOOR) -> dict:
    """Raise every trained (or untrained) m probability to ``floor``; renormalize per field."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            level["m_probability"] = max(level.get("m_probability") or 0.0, floor)
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] /= total
    return model


def train(warehouse: Path, out: Path, threshold: float) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        records = records_arrow(con, "integrated.business_records")
    linker = _linker(records, settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_norm", "zip5"), block_on("phone10")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip5"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("substr(name_norm, 1, 4)")
    )
    settings_json = floor_m(linker.misc.save_model_to_json(overwrite=True))
    trained = {"by": "python -m datalabs_pipelines.procurement.train", "seed": SEED}
    save_model(MatchModel(settings_json, threshold, trained), out)


if __name__ == "__main__":
    linkage = load_config().linkage
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else linkage.model_path
    train(Path(sys.argv[1]), target, linkage.accept_probability)
    print(f"wrote {target}")
