"""What one entity's linkage declares in YAML: what it compares, which pairs, how sure.

People (``linkage/person.yaml``) and firms (``procurement/vendor_linkage.yaml``) are declared
by this one model: the columns Splink reads, the deterministic pass (an exact key and what
must corroborate it), the exclusive key and the link guard, the comparisons (Splink comparison
levels: SQL condition, label, null and term-frequency flags), the blocking rules, the rules the
prior is trained from, the model file, thresholds and guard rails. The code that trains, links,
re-estimates, keys and reviews them is shared, so the two differ only in what they declare.
A mistake fails at load with one line naming the file and the place.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.yaml_files import read_yaml

PERSON_DECLARATION = Path(__file__).parent / "person.yaml"
# `"name_l"` or `name_r` in a comparison level; `l.name` or `r."name"` in a blocking rule
_LEVEL_COLUMN = re.compile(r"\b([a-z][a-z0-9_]*?)_[lr]\b(?!\s*\()")
_RULE_COLUMN = re.compile(r'\b[lr]\."?([a-z][a-z0-9_]*)')
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


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


class Deterministic(_Strict):
    """Records sharing a ``key`` value are one entity before any scoring, when
    ``corroborated_by`` (SQL over the two records, ``l.`` and ``r.``) also holds, or always
    when it is absent: a key that can be mistyped into someone else's needs corroboration."""

    key: str = Field(description="the exact key column (NULL never matches)")
    corroborated_by: str | None = Field(
        None, min_length=1, description="what else must agree; absent: the key alone decides"
    )


class ComparisonLevel(_Strict):
    """One Splink comparison level, with Splink's own key names."""

    sql_condition: str = Field(min_length=1)
    label_for_charts: str = Field(min_length=1)
    is_null_level: bool | None = None
    tf_adjustment_column: str | None = None
    tf_adjustment_weight: float | None = None


class Comparison(_Strict):
    output_column_name: str
    comparison_description: str | None = None
    comparison_levels: list[ComparisonLevel] = Field(min_length=2)


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
    deterministic: Deterministic | None = Field(None, description="the pass before scoring")
    exclusive_key: str | None = Field(
        None,
        description="a column two records of one entity never disagree on: a scored pair where "
        "both carry it is decided by it, and a link that would join two values is refused",
    )
    link_guard: str | None = Field(
        None,
        min_length=1,
        description="SQL over l. and r. a pair at or above the threshold must also meet to be "
        "linked; one that does not goes to review",
    )
    unique_id: str = Field(description="the record id column")
    columns: list[str] = Field(description="every column a comparison or a rule may name")
    retain: list[str] = Field([], description="columns kept beside each scored pair")
    prior_rules: list[str] = Field(min_length=1, description="near-certain rules for the prior")
    every_blocking_rule: str | None = Field(None, description="ANDed to each blocking rule")
    blocking_rules: list[str] = Field(min_length=1)
    comparisons: list[Comparison] = Field(min_length=1)
    base_dir: Path = Field(Path(__file__).parent, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> LinkageDeclaration:
        if self.review_probability >= self.accept_probability:
            raise ValueError("review_probability must be below the model's threshold")
        for column in self.columns:
            if not _IDENTIFIER.fullmatch(column):
                raise ValueError(f"columns: {column!r} is not a lower-case SQL identifier")
        known = set(self.columns)
        for place, column in self._named_columns():
            if column not in known:
                raise ValueError(f"{place}: unknown column {column!r} (not in columns)")
        names = [c.output_column_name for c in self.comparisons]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"comparisons[{i}]: duplicate comparison name {name!r}")
        return self

    def _named_columns(self) -> list[tuple[str, str]]:
        named = [("unique_id", self.unique_id)] + [("retain", c) for c in self.retain]
        if self.exclusive_key:
            named.append(("exclusive_key", self.exclusive_key))
        if self.deterministic:
            named.append(("deterministic.key", self.deterministic.key))
        rules = {
            "deterministic.corroborated_by": [self.deterministic_condition or ""],
            "link_guard": [self.link_guard or ""],
            "prior_rules": self.prior_rules,
            "blocking_rules": self.blocking_rules,
            "reestimation.em_blocking_rules": self.reestimation.em_blocking_rules,
            "every_blocking_rule": [self.every_blocking_rule or ""],
        }
        for key, texts in rules.items():
            for n, text in enumerate(texts):
                named += [(f"{key}[{n}]", c) for c in _RULE_COLUMN.findall(text)]
        for i, comparison in enumerate(self.comparisons):
            for j, level in enumerate(comparison.comparison_levels):
                place = f"comparisons[{i}] ({comparison.output_column_name}).comparison_levels[{j}]"
                named += [(place, c) for c in _LEVEL_COLUMN.findall(level.sql_condition)]
                if level.tf_adjustment_column:
                    named.append((place, level.tf_adjustment_column))
        return named

    @property
    def deterministic_condition(self) -> str | None:
        return self.deterministic.corroborated_by if self.deterministic else None

    @property
    def model_path(self) -> Path:
        return self.base_dir / self.model

    @property
    def accept_probability(self) -> float:
        """The model file's threshold: pairs at or above it are linked."""
        return load_model(self.model_path).threshold_match_probability

    @property
    def prediction_blocking_rules(self) -> list[str]:
        also = f" AND {self.every_blocking_rule}" if self.every_blocking_rule else ""
        return [rule + also for rule in self.blocking_rules]

    def splink_settings(self) -> dict[str, Any]:
        """Untrained Splink settings (a dict Splink reads): what training starts from."""
        return {
            "link_type": "dedupe_only",
            "unique_id_column_name": self.unique_id,
            "comparisons": [c.model_dump(exclude_none=True) for c in self.comparisons],
            "blocking_rules_to_generate_predictions": self.prediction_blocking_rules,
            "additional_columns_to_retain": self.retain,
            "retain_matching_columns": False,
            "retain_intermediate_calculation_columns": False,
            "probability_two_random_records_match": 1e-4,  # a start value; training estimates it
        }


def rule_columns(text: str) -> list[str]:
    """The columns ``text`` names as ``l.column`` or ``r."column"``, once each, in order."""
    return list(dict.fromkeys(_RULE_COLUMN.findall(text)))


def load_declaration(path: Path = PERSON_DECLARATION) -> LinkageDeclaration:
    """The declaration in ``path``; its model file is resolved beside it. A mistake raises
    ``ValueError`` with one line per problem: ``file: place: problem``."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    try:
        return LinkageDeclaration.model_validate(data | {"base_dir": path.parent})
    except ValidationError as exc:
        raise ValueError("\n".join(_problem(path, err) for err in exc.errors())) from None


def _problem(path: Path, err: Any) -> str:
    place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{path}: {place}: {message}" if place else f"{path}: {message}"
