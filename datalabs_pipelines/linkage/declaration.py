"""What one entity's linkage declares in YAML: its model file, thresholds and guard rails.

People (``linkage/person.yaml``) and firms (the ``linkage:`` section of
``procurement/config.yaml``) are declared by this one model; the code that links, re-estimates,
keys and reviews them is shared, so the two differ only in what they declare here and in the
comparisons and blocking rules their model files carry.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.yaml_files import read_yaml

PERSON_DECLARATION = Path(__file__).parent / "person.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reestimation(_Strict):
    """How a run may re-estimate the model on the data at hand (opt-in), and how far it may go."""

    em_blocking_rules: list[str] = Field(
        min_length=1, description="expectation-maximisation sessions, one blocking rule each"
    )
    max_abs_delta_log2_bf: float = Field(
        gt=0,
        description="a comparison whose any level's log2 Bayes factor (log2 m/u) moves by more "
        "than this from the committed model keeps the committed parameters",
    )


class LinkageDeclaration(_Strict):
    model: str = Field(description="model file (linkage.modelfile format), beside this YAML")
    review_probability: float = Field(
        gt=0, le=1, description="pairs from here up to the model's threshold go to review"
    )
    m_floor: float = Field(
        gt=0,
        lt=1,
        description="no level's m probability below this, after training or re-estimation: a "
        "disagreeing field counts against a pair but never vetoes it",
    )
    reestimation: Reestimation
    base_dir: Path = Field(Path(__file__).parent, exclude=True)

    @model_validator(mode="after")
    def _ordered(self) -> LinkageDeclaration:
        if self.review_probability >= self.accept_probability:
            raise ValueError("review_probability must be below the model's threshold")
        return self

    @property
    def model_path(self) -> Path:
        return self.base_dir / self.model

    @property
    def accept_probability(self) -> float:
        """The model file's threshold: pairs at or above it are linked."""
        return load_model(self.model_path).threshold_match_probability


def load_declaration(path: Path = PERSON_DECLARATION) -> LinkageDeclaration:
    """The declaration in ``path``; its model file is resolved beside it."""
    return LinkageDeclaration.model_validate(read_yaml(path) | {"base_dir": path.parent})
