"""The dashboard's sections: which mart answers which question, in reading order.

A section names a mart and a question only; what it shows follows from the mart's
declaration. Published tables not listed here still appear, under "Other published tables".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionSpec:
    mart: str
    domain: str
    title: str
    question: str
    featured: tuple[str, ...] = ()  # metrics to chart, when the roles alone pick poorly


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "procurement_utilization",
        "Procurement equity",
        "Utilization against goal",
        "How much state spend reaches minority-, women-, veteran- and disability-owned "
        "businesses, by agency and fiscal year, against the state's goals?",
    ),
    SectionSpec(
        "procurement_disparity",
        "Procurement equity",
        "Disparity by category",
        "Where is utilization low although certified firms are available? A disparity index "
        "(utilization share ÷ availability share) below 0.80 marks an area for improvement.",
    ),
    SectionSpec(
        "procurement_awards_vs_paid",
        "Procurement equity",
        "Awarded versus paid",
        "Are certified firms paid what their contracts awarded them?",
    ),
    SectionSpec(
        "safety_net_enrollment",
        "Safety net",
        "Enrollment and churn",
        "How many people are enrolled, on several programs at once, and how many leave and "
        "come back within 90 days?",
    ),
    SectionSpec(
        "workforce_outcomes",
        "Workforce",
        "Employment and earnings after exit",
        "Do people who leave a program find work in the 2nd and 4th quarter after exit, and "
        "what do they earn?",
    ),
    SectionSpec(
        "student_outcomes",
        "Education",
        "Student outcomes",
        "Where do high-school graduates go: college within 16 months, a degree, a job, and at "
        "what wage?",
    ),
    SectionSpec(
        "extract_quality",
        "Data quality",
        "Extract quality",
        "What arrived from each agency, what was quarantined, and which checks failed?",
        featured=("rows_loaded", "rows_quarantined"),
    ),
    SectionSpec(
        "linkage_quality",
        "Data quality",
        "Linkage quality",
        "How many records were linked across agencies, and how confidently?",
    ),
)

NOT_ON_DASHBOARD = {"data_dictionary", "mart_status"}
OTHER_DOMAIN = "Other published tables"


def sections_for(published: list[str]) -> list[SectionSpec]:
    """The catalogue, then any published table it does not list."""
    listed = {s.mart for s in SECTIONS}
    extra = [
        SectionSpec(name, OTHER_DOMAIN, name.replace("_", " ").capitalize(), "")
        for name in published
        if name not in listed and name not in NOT_ON_DASHBOARD
    ]
    return [*SECTIONS, *extra]
