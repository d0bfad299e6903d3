"""Where a benchmark keeps its sample, warehouse and logs: ``data/bench/scale-N/``."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from datalabs_pipelines.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
DEFAULT_SEED = 2026
DEFAULT_ERRORS = "default"
MARKER = "sample.json"


def scale_label(scale: float) -> str:
    """``10`` for 10.0, ``0.5`` for 0.5: how a scale appears in folder and file names."""
    return str(int(scale)) if float(scale).is_integer() else str(scale)


@dataclass(frozen=True)
class BenchPaths:
    """Every path of one benchmark (scale and seed), under ``base``."""

    scale: float
    seed: int = DEFAULT_SEED
    base: Path = BENCH_DIR
    errors: str = DEFAULT_ERRORS
    """The generator's error profile (``generator/errors.py``); another than the default
    names its own sample, so the two never overwrite each other."""

    @property
    def name(self) -> str:
        suffix = "" if self.seed == DEFAULT_SEED else f"-seed-{self.seed}"
        profile = "" if self.errors == DEFAULT_ERRORS else f"-{self.errors}"
        return f"scale-{scale_label(self.scale)}{suffix}{profile}"

    @property
    def root(self) -> Path:
        return self.base / self.name

    @property
    def landing(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def sql_log(self) -> Path:
        return self.root / "sql" / "statements.jsonl"

    @property
    def replay_database(self) -> Path:
        return self.root / "replay" / self.warehouse.name  # same catalog name as the run

    @property
    def run_log(self) -> Path:
        return self.root / "run.log"

    @property
    def report(self) -> Path:
        return self.base / f"bench-{self.name}.json"

    def environment(self) -> dict[str, str]:
        """What points the pipeline at this benchmark's folders instead of ``data/``."""
        return {
            "DATALABS_LANDING_DIR": str(self.landing),
            "DATALABS_WAREHOUSE": str(self.warehouse),
            "DATALABS_PUBLISHED_DIR": str(self.published),
            "DAGSTER_HOME": str(self.dagster_home),
        }


def sample_is_current(paths: BenchPaths) -> bool:
    marker = paths.root / MARKER
    if not marker.is_file() or not paths.landing.is_dir():
        return False
    recorded = json.loads(marker.read_text())
    return (
        float(recorded.get("scale", -1)) == float(paths.scale)
        and recorded.get("seed") == paths.seed
        and recorded.get("errors", DEFAULT_ERRORS) == paths.errors
    )


def ensure_sample(paths: BenchPaths, progress: bool = True) -> bool:
    """Generate the sample unless one for this scale, seed and error profile is there; True if
    generated."""
    if sample_is_current(paths):
        return False
    from datalabs_pipelines.generator.errors import profile
    from datalabs_pipelines.generator.main import generate

    paths.root.mkdir(parents=True, exist_ok=True)
    (paths.root / MARKER).unlink(missing_ok=True)
    generate(
        scale=paths.scale,
        seed=paths.seed,
        out=paths.root,
        progress=progress,
        errors=profile(paths.errors),
    )
    marker = {"scale": paths.scale, "seed": paths.seed, "errors": paths.errors}
    (paths.root / MARKER).write_text(json.dumps(marker))
    return True


def fresh_warehouse(paths: BenchPaths) -> None:
    """Remove what an earlier benchmark built, so every run materializes from scratch."""
    for file in paths.root.glob("warehouse.duckdb*"):
        file.unlink()
    for folder in (
        paths.published,
        paths.dagster_home,
        paths.sql_log.parent,
        paths.replay_database.parent,
    ):
        shutil.rmtree(folder, ignore_errors=True)
    paths.dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", paths.dagster_home / "dagster.yaml")
    paths.sql_log.parent.mkdir(parents=True)
    paths.replay_database.parent.mkdir(parents=True)
