"""The dashboard's sections: which mart answers which question, and the charts that show it.

A section names a mart, a question and its charts. A chart names the label column its bars are
named by, the metrics it plots (with unit, interval and denominator), the dimensions a reader
filters on, and the period column with its completeness flag, so partial periods are marked
and never the default. Published tables not listed here still appear, table only, under
"Other published tables".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "pct", "pp", "usd", "count", "index"]


@dataclass(frozen=True)
class Metric:
    column: str
    label: str
    unit: Unit
    low: str | None = None  # Wilson interval bounds
    high: str | None = None
    base: str | None = None  # the denominator shown beside the value


@dataclass(frozen=True)
class ChartSpec:
    title: str
    axis: str  # the column bars are named by (a label column), or the period for a trend
    metrics: tuple[Metric, ...]
    filters: tuple[str, ...] = ()  # dimension columns a reader picks a value of
    fixed: tuple[tuple[str, object], ...] = ()  # rows kept: (column, value)
    period: str | None = None  # the filter (or, for a trend, the axis) that is a period
    complete: str | None = None  # flag: the row's period is complete
    order: Literal["desc", "asc", "axis"] = "desc"
    limit: int = 30
    goal: str | None = None  # a column holding the goal, drawn as a marker
    reference: tuple[float, str] | None = None  # a reference line: value, what it means
    trend: bool = False  # the axis is a period, drawn left to right
    context: str | None = None  # a filter whose total row ('all') leads every other choice
    published_only: bool = False  # chart published cells only; the table lists the rest
    details: tuple[Metric, ...] = ()  # more values in the tooltip and the table


@dataclass(frozen=True)
class SectionSpec:
    mart: str
    domain: str
    title: str
    question: str
    charts: tuple[ChartSpec, ...] = ()


def _rate(column: str, label: str, base: str) -> Metric:
    return Metric(column, label, "share", f"{column}_low", f"{column}_high", base)


def _by_group(
    title: str, metrics: tuple[Metric, ...], period: str, complete: str, **more
) -> ChartSpec:
    """One bar per group of the breakdown a reader picks (its total first), in one program."""
    return ChartSpec(
        title,
        "group_name",
        metrics,
        filters=(period, "program", "breakdown"),
        context="breakdown",
        period=period,
        complete=complete,
        order="axis",
        **more,
    )


def _by_program(
    title: str, metrics: tuple[Metric, ...], period: str, complete: str, **more
) -> ChartSpec:
    """One bar per program, statewide (the breakdown's total row)."""
    fixed = (("breakdown", "all"), *more.pop("fixed", ()))
    return ChartSpec(
        title,
        "program",
        metrics,
        filters=(period,),
        fixed=fixed,
        period=period,
        complete=complete,
        order="axis",
        **more,
    )


def _trend(title: str, axis: str, metrics: tuple[Metric, ...]) -> ChartSpec:
    """A measure over the period ``axis``, statewide or in the county a reader picks."""
    return ChartSpec(
        title,
        axis,
        metrics,
        filters=("program", "county_fips"),
        trend=True,
        order="axis",
        limit=400,
    )


ENROLLED = (Metric("enrolled", "people enrolled", "count"),)
CHURN = (_rate("churn_rate", "churn rate", "exits"),)
RETURNED = (Metric("returned_within_90_days", "returned within 90 days", "count"),)
EARNINGS_Q2 = (Metric("median_earnings_q2", "median earnings, 2nd quarter", "usd"),)
WORKFORCE_RATES = (
    _rate("employment_rate_q2", "employed, 2nd quarter", "exiters"),
    _rate("employment_rate_q4", "employed, 4th quarter", "exiters"),
    _rate("retention_rate_q4", "retained, 2nd and 4th quarter", "employed_q2"),
)

PROGRAM_UTILIZATION = (
    ChartSpec(
        "Utilization by agency against the program's goal",
        "agency_name",
        (Metric("utilization_pct", "utilization", "pct", base="total_amount"),),
        filters=("fiscal_year", "basis", "program"),
        fixed=(("ownership", "all"),),
        period="fiscal_year",
        complete="fiscal_year_complete",
        goal="goal_pct",
        details=(
            Metric("goal_pct", "goal", "pct"),
            Metric("gap_to_goal_pp", "gap to goal", "pp"),
            Metric("certified_amount", "to certified firms", "usd"),
        ),
    ),
    ChartSpec(
        "Utilization by certified-firm category, statewide",
        "ownership",
        (Metric("utilization_pct", "utilization", "pct", base="total_amount"),),
        filters=("fiscal_year", "basis", "program"),
        fixed=(("agency_code", "ALL"),),
        period="fiscal_year",
        complete="fiscal_year_complete",
        details=(Metric("certified_amount", "to certified firms", "usd"),),
    ),
)

SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "procurement_program_utilization",
        "Procurement equity",
        "Utilization against goal, on awards and on payments",
        "How much state spend reaches minority-, women-, veteran- and disability-owned "
        "businesses, by program, agency and fiscal year, against each program's goal on "
        "contract dollars awarded and on payments?",
        PROGRAM_UTILIZATION,
    ),
    SectionSpec(
        "procurement_utilization",
        "Procurement equity",
        "Utilization by what was bought",
        "Which sectors of spend (NAICS) reach certified businesses, by agency?",
        (
            ChartSpec(
                "Utilization of payments by agency and sector",
                "category_title",
                (Metric("utilization_pct", "utilization", "pct", base="total_paid"),),
                details=(
                    Metric("goal_pct", "goal", "pct"),
                    Metric("gap_to_goal_pct", "gap to goal", "pp"),
                ),
                filters=("fiscal_year", "program", "agency_code"),
                period="fiscal_year",
                complete="fiscal_year_complete",
            ),
        ),
    ),
    SectionSpec(
        "procurement_disparity",
        "Procurement equity",
        "Disparity by sector",
        "Where is utilization low although certified firms are available? A disparity index "
        "(utilization share ÷ availability share) below 0.80 marks an area for improvement.",
        (
            ChartSpec(
                "Disparity index by sector (1 = parity)",
                "category_title",
                (Metric("disparity_index", "disparity index", "index", base="certified_firms"),),
                details=(
                    Metric("availability_pct", "certified share of vendors", "pct"),
                    Metric("utilization_share_pct", "certified share of spend", "pct"),
                ),
                filters=("fiscal_year",),
                period="fiscal_year",
                complete="fiscal_year_complete",
                order="asc",
                reference=(0.8, "0.80: area for improvement below"),
            ),
        ),
    ),
    SectionSpec(
        "procurement_awards_vs_paid",
        "Procurement equity",
        "Awarded versus paid",
        "Are certified firms paid what their contracts awarded them?",
        (
            ChartSpec(
                "Dollars to certified firms: awarded and paid, by agency",
                "agency_name",
                (
                    Metric("awarded_certified", "awarded", "usd", base="awarded_total"),
                    Metric("paid_certified", "paid", "usd", base="paid_total"),
                ),
                filters=("fiscal_year",),
                period="fiscal_year",
                complete="fiscal_year_complete",
            ),
        ),
    ),
    SectionSpec(
        "procurement_data_flags",
        "Procurement equity",
        "Records that cannot count as they stand",
        "Which procurement records are flagged, and why?",
        (
            ChartSpec(
                "Flagged records by reason",
                "reason",
                (Metric("records", "records", "count"),),
                filters=("source_extract",),
            ),
        ),
    ),
    SectionSpec(
        "safety_net_annual",
        "Safety net",
        "Enrollment and churn by year",
        "How many people are enrolled in each program over a year, and how many who leave come "
        "back within 90 days (pooled annual churn)?",
        (
            _by_program(
                "Pooled annual churn by program, statewide",
                CHURN,
                "year",
                "year_complete",
                details=RETURNED,
                fixed=(("churn_observed", True),),
            ),
            _by_group(
                "Churn: exits followed by a return within 90 days",
                CHURN,
                "year",
                "year_complete",
                details=RETURNED,
                fixed=(("churn_observed", True),),
            ),
            _by_group(
                "People enrolled during the year (unduplicated)",
                ENROLLED,
                "year",
                "year_complete",
            ),
        ),
    ),
    SectionSpec(
        "safety_net_enrollment",
        "Safety net",
        "Enrollment by month",
        "How many people are enrolled each month, statewide and by county?",
        (_trend("People enrolled by month", "month", ENROLLED),),
    ),
    SectionSpec(
        "workforce_outcomes_statewide",
        "Workforce",
        "Employment and earnings after exit",
        "Do people who leave SNAP, TANF or unemployment insurance find work in the 2nd and 4th "
        "quarter after exit, do they keep it, and what do they earn?",
        (
            _by_program(
                "Employment and job retention by program, statewide",
                WORKFORCE_RATES,
                "exit_year",
                "year_complete",
                details=EARNINGS_Q2,
            ),
            _by_group(
                "Employment and job retention after exit",
                WORKFORCE_RATES,
                "exit_year",
                "year_complete",
                details=EARNINGS_Q2,
            ),
            _by_group(
                "Median quarterly earnings, 2nd quarter after exit",
                (Metric("median_earnings_q2", "median earnings", "usd", base="employed_q2"),),
                "exit_year",
                "year_complete",
            ),
        ),
    ),
    SectionSpec(
        "workforce_outcomes",
        "Workforce",
        "Employment after exit by quarter",
        "The same measures by quarter of exit, statewide and by county, where counts allow.",
        (
            _trend(
                "Employment in the 2nd quarter after exit, by exit quarter",
                "exit_quarter",
                WORKFORCE_RATES[:1],
            ),
        ),
    ),
    SectionSpec(
        "student_outcomes_statewide",
        "Education",
        "Where graduates go",
        "Where do high-school graduates go: college within 16 months, a degree, a job, and at "
        "what wage?",
        (
            ChartSpec(
                "College enrollment, completion and employment of graduates",
                "group_name",
                (
                    _rate("enrollment_rate_16m", "enrolled within 16 months", "graduates"),
                    _rate("completion_rate", "completed an award", "graduates"),
                    _rate("not_enrolled_employment_rate", "not enrolled: employed", "not_enrolled"),
                ),
                filters=("cohort_year", "breakdown"),
                context="breakdown",
                period="cohort_year",
                complete="window_complete",
                order="axis",
            ),
        ),
    ),
    SectionSpec(
        "student_outcomes",
        "Education",
        "Graduates by district",
        "The same measures by school district, where counts allow.",
        (
            ChartSpec(
                "College enrollment within 16 months, by district",
                "district_name",
                (_rate("enrollment_rate_16m", "enrolled within 16 months", "graduates"),),
                filters=("cohort_year",),
                period="cohort_year",
                complete="window_complete",
                published_only=True,
            ),
        ),
    ),
    SectionSpec(
        "extract_quality",
        "Data quality",
        "Extract quality",
        "What arrived from each agency, what was quarantined, and which checks failed?",
        (
            ChartSpec(
                "Deliveries with the most records quarantined",
                "delivery",
                (
                    Metric("rows_quarantined", "quarantined", "count"),
                    Metric("rows_loaded", "loaded", "count"),
                ),
                details=(
                    Metric("records_in_file", "records in file", "count"),
                    Metric("checks_failed", "checks failed", "count"),
                ),
                limit=20,
            ),
        ),
    ),
    SectionSpec(
        "linkage_quality",
        "Data quality",
        "Linkage quality, lowest match rates first",
        "Which records could not be linked across agencies? Low match rates in a county or "
        "group bias every cross-agency outcome there.",
        (
            ChartSpec(
                "Match rate, lowest first",
                "subgroup_name",
                (Metric("match_rate", "match rate", "share", base="records"),),
                filters=("subgroup_type",),
                context="subgroup_type",
                order="asc",
            ),
        ),
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
