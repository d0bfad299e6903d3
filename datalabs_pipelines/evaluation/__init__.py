"""Accuracy of every linkage against the generator's ground truth (`datalabs evaluate`)."""

# Importing an evaluator module registers it in report.EVALUATORS.
from datalabs_pipelines.evaluation import persons  # noqa: F401
