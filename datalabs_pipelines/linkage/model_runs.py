"""Which model every linkage run used: file, version, and whether it was re-estimated.

One row per run in the entity's table (``integrated.person_linkage_models``,
``integrated.vendor_linkage_models``; the same schema for both). Versions are hashes of the
parameters, never record values, so the table is de-identified.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from datalabs_pipelines.assets_common import markdown_table
from datalabs_pipelines.linkage.reestimate import Outcome
from datalabs_pipelines.warehouse import ensure_table, qualified

MODEL_RUNS_COLUMNS = {
    "run_id": ("VARCHAR", "Dagster run that linked"),
    "recorded_at": ("TIMESTAMP", "when the run linked"),
    "model_file": ("VARCHAR", "committed model file, relative to the package"),
    "file_sha256": ("VARCHAR", "SHA-256 of the committed model file's bytes"),
    "committed_version": ("VARCHAR", "hash of the committed parameters (model_version)"),
    "used_version": ("VARCHAR", "hash of the parameters the run scored with"),
    "reestimated": ("BOOLEAN", "the run re-estimated m on the current warehouse"),
    "refused": (
        "VARCHAR",
        "JSON list of re-estimated levels refused by the guard rail (comparison, level, "
        "change of log2 Bayes factor); empty when none",
    ),
}


class LinkageRunConfig(dg.Config):
    """Run config of a linkage asset (people's crosswalk, firms' vendor resolution)."""

    reestimate: bool = Field(
        default=False,
        description="re-estimate m on the current warehouse from the committed model, within "
        "the declared guard rails (off: the committed model alone, reproducible)",
    )
    full_relink: bool = Field(
        default=False,
        description="score every blocked pair and re-cluster from scratch (off: score only the "
        "pairs touching a profile the last run had not scored; the monthly schedule sets it)",
    )


def model_metadata(model: dict[str, Any]) -> dict[str, Any]:
    """Asset metadata of the model a run used; refused re-estimates as a table (comparison,
    level, size of the move: never a record value)."""
    refused = model["reestimation_refused"]
    rows = [(d["comparison"], d["level"], f"{d['delta_log2_bf']:+.3f}") for d in refused]
    table = markdown_table(["comparison", "level", "change of log2 Bayes factor"], rows)
    return {
        **{k: v for k, v in model.items() if k != "reestimation_refused"},
        "reestimation_refused": dg.MetadataValue.md(table if rows else "none"),
        "reestimation_refused_levels": len(rows),
    }


def refusal_summary(model: dict[str, Any]) -> str | None:
    """One line naming each refused comparison and level with its move, or None."""
    refused = model["reestimation_refused"]
    if not refused:
        return None
    moves = "; ".join(
        f"{d['comparison']} / {d['level']}: {d['delta_log2_bf']:+.2f} bits" for d in refused
    )
    return f"re-estimation refused past the guard rail (committed parameters kept): {moves}"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_model_use(
    con: duckdb.DuckDBPyConnection,
    table: tuple[str, str],
    run_id: str,
    model_path: Path,
    committed_version: str,
    outcome: Outcome,
) -> dict[str, Any]:
    """Write the run's row of ``table`` (a re-executed run replaces its own); return the same
    facts as asset metadata."""
    ensure_table(con, table, {n: t for n, (t, _) in MODEL_RUNS_COLUMNS.items()})
    package = Path(__file__).parents[1]
    name = (
        str(model_path.relative_to(package))
        if model_path.is_relative_to(package)
        else str(model_path)
    )
    row = {
        "model_file": name,
        "file_sha256": file_sha256(model_path),
        "committed_version": committed_version,
        "used_version": outcome.model.version,
        "reestimated": outcome.reestimated,
    }
    con.execute(f"DELETE FROM {qualified(table)} WHERE run_id = $run_id", {"run_id": run_id})
    con.execute(
        f"INSERT INTO {qualified(table)} (run_id, recorded_at, model_file, file_sha256, "
        "committed_version, used_version, reestimated, refused) VALUES ($run_id, "
        "current_timestamp::TIMESTAMP, $model_file, $file_sha256, $committed_version, "
        "$used_version, $reestimated, $refused)",
        {
            "run_id": run_id,
            **row,
            "refused": json.dumps([vars(d) for d in outcome.refused]),
        },
    )
    return {
        **row,
        "model_version": outcome.model.version,
        "threshold_match_probability": outcome.model.threshold_match_probability,
        **outcome.as_metadata(),
    }
