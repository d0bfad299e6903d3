"""Paths and modes, read from the environment with embedded defaults (listed in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# DuckDB's memory cap for the warehouse: a full scale-100 run's process tree peaks at about
# 4.6 GB under it; under 3GB its largest steps spilled to disk (bench/MEASUREMENTS.md)
DUCKDB_MEMORY_LIMIT = "4GB"


class SettingsError(ValueError):
    """An environment variable the settings read holds a value they cannot use."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    published_dir: Path
    key_file: Path
    contracts_dir: Path
    production: bool
    disclosure_threshold: int = 10
    duckdb_memory_limit: str = DUCKDB_MEMORY_LIMIT

    @property
    def published_path(self) -> Path:
        return self.published_dir / "datalabs.duckdb"


def _path(var: str, default: Path, *, resolve: bool = True) -> Path:
    """``var`` as an absolute path; ``resolve=False`` keeps symbolic links visible."""
    value = os.environ.get(var)
    if not value:
        return default
    path = Path(value).expanduser()
    return path.resolve() if resolve else path.absolute()


def get_settings() -> Settings:
    """Settings as the environment says now (read on every call so tests can override)."""
    data = PROJECT_ROOT / "data"
    return Settings(
        landing_dir=_path("DATALABS_LANDING_DIR", data / "raw"),
        warehouse_path=_path("DATALABS_WAREHOUSE", data / "warehouse.duckdb"),
        published_dir=_path("DATALABS_PUBLISHED_DIR", data / "published"),
        key_file=_path(
            "DATALABS_LINKAGE_KEY_FILE",
            Path.home() / ".config/datalabs/linkage.key",
            resolve=False,  # a key file that is a symbolic link is refused, not followed
        ),
        contracts_dir=_path("DATALABS_CONTRACTS_DIR", Path(__file__).parent / "contracts"),
        production=os.environ.get("DATALABS_ENV", "development").lower() == "production",
        disclosure_threshold=_threshold(os.environ.get("DATALABS_DISCLOSURE_THRESHOLD")),
        duckdb_memory_limit=os.environ.get("DATALABS_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT,
    )


def _threshold(value: str | None) -> int:
    """Smallest count of people a published cell may show (default 10)."""
    if not value:
        return 10
    try:
        threshold = int(value)
    except ValueError:
        threshold = 0
    if threshold < 1:
        raise SettingsError(
            f"DATALABS_DISCLOSURE_THRESHOLD must be a whole number from 1, not {value!r}"
        )
    return threshold
