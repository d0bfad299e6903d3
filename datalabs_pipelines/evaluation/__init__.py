"""Accuracy of every linkage against the generator's ground truth (`datalabs evaluate`)."""

from datalabs_pipelines.evaluation import persons  # noqa: F401  (registers person_linkage)
from datalabs_pipelines.evaluation.report import EVALUATORS
from datalabs_pipelines.evaluation.vendors import evaluate_vendor_matching

EVALUATORS["vendor_matching"] = evaluate_vendor_matching
