"""Deterministic synthetic agency extracts with ground truth (see ``main.generate``)."""

from datalabs_pipelines.generator.main import EXTRACTS, GenerationSummary, generate

__all__ = ["EXTRACTS", "GenerationSummary", "generate"]
