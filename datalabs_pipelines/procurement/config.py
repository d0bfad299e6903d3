"""The procurement configuration (``config.yaml`` beside this module), validated."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.yaml_files import read_yaml

CONFIG_PATH = Path(__file__).parent / "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Program(_Strict):
    goal_pct: float | None = Field(None, ge=0, le=100)
    description: str


class Linkage(_Strict):
    review_probability: float = Field(gt=0, le=1)
    model: str = Field(description="model file (linkage.modelfile format), beside config.yaml")

    @model_validator(mode="after")
    def _ordered(self) -> Linkage:
        if self.review_probability >= self.accept_probability:
            raise ValueError("review_probability must be below the model's threshold")
        return self

    @property
    def model_path(self) -> Path:
        return CONFIG_PATH.parent / self.model

    @property
    def accept_probability(self) -> float:
        """The model file's threshold: pairs at or above it are linked."""
        return load_model(self.model_path).threshold_match_probability


class Disparity(_Strict):
    threshold: float = Field(gt=0)
    min_available_firms: int = Field(ge=1)


class ProcurementConfig(_Strict):
    fiscal_year_start_month: int = Field(ge=1, le=12)
    programs: dict[str, Program]
    linkage: Linkage
    disparity: Disparity


@cache
def load_config(path: Path = CONFIG_PATH) -> ProcurementConfig:
    return ProcurementConfig.model_validate(read_yaml(path))
