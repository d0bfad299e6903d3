"""The procurement configuration (``config.yaml`` beside this module, with the vendor linkage
declared in ``vendor_linkage.yaml``), validated."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from datalabs_pipelines.linkage.declaration import LinkageDeclaration, load_declaration
from datalabs_pipelines.yaml_files import read_yaml

CONFIG_PATH = Path(__file__).parent / "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Program(_Strict):
    goal_pct: float | None = Field(None, ge=0, le=100)
    description: str


class Disparity(_Strict):
    threshold: float = Field(gt=0)
    min_available_firms: int = Field(ge=1)


class ProcurementConfig(_Strict):
    fiscal_year_start_month: int = Field(ge=1, le=12)
    programs: dict[str, Program]
    linkage: LinkageDeclaration
    disparity: Disparity


@cache
def load_config(path: Path = CONFIG_PATH) -> ProcurementConfig:
    data = read_yaml(path) | {"linkage": load_declaration(path.parent / "vendor_linkage.yaml")}
    return ProcurementConfig.model_validate(data)
