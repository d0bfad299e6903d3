"""One model-file format for people and firms: trained Splink parameters plus what the
pipeline adds.

The file wraps Splink's own settings JSON with the match threshold and a note of how the model
was trained. The pipeline only ever reads it; the trainers (``datalabs train-person-model``,
``python -m datalabs_pipelines.procurement.train``) write it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).parent / "models" / "person_model.json"
FORMAT = 1


@dataclass(frozen=True)
class MatchModel:
    splink_settings: dict[str, Any]
    threshold_match_probability: float
    trained: dict[str, Any]

    @property
    def version(self) -> str:
        """Content hash of the parameters: changes whenever the model does."""
        body = json.dumps([self.splink_settings, self.threshold_match_probability], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:12]


def load_model(path: Path = MODEL_FILE) -> MatchModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: unsupported match model format {data.get('format')!r}")
    return MatchModel(
        splink_settings=data["splink_settings"],
        threshold_match_probability=float(data["threshold_match_probability"]),
        trained=data.get("trained", {}),
    )


def _rounded(value: Any) -> Any:
    """Floats to 12 significant digits, so retraining on the same sample gives the same file."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def save_model(model: MatchModel, path: Path = MODEL_FILE) -> None:
    body = {
        "format": FORMAT,
        "threshold_match_probability": model.threshold_match_probability,
        "trained": model.trained,
        "splink_settings": _rounded(model.splink_settings),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")
