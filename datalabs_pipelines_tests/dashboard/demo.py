"""Demo mart declarations, not in the repository's marts: the dictionary tests build assets
from them. (The dashboard tests use ``sample.py``, the real marts' shapes.)"""

from __future__ import annotations

from datalabs_pipelines.marts.declaration import MartDeclaration


def _col(name: str, type_: str, role: str, description: str, **extra) -> dict:
    return {"name": name, "type": type_, "role": role, "description": description, **extra}


def _decl(name: str, domain: str, purpose: str, columns: list[dict], controlled=True) -> dict:
    return {
        "name": name,
        "domain": domain,
        "description": f"Demo {name.replace('_', ' ')}.",
        "grain": "One row per demo cell.",
        "purpose": purpose,
        "owners": ["team:demo"],
        "disclosure_control": controlled,
        "columns": columns,
    }


DECLARATIONS = [
    _decl(
        "procurement_utilization",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year (July to June)"),
            _col("agency", "VARCHAR", "dimension", "paying agency"),
            _col("program", "VARCHAR", "dimension", "goal program: BEP or veteran"),
            _col("vendors", "BIGINT", "count", "vendors paid"),
            _col("total_paid", "DECIMAL(18,2)", "amount", "all payments"),
            _col("certified_paid", "DECIMAL(18,2)", "amount", "payments to certified firms"),
            _col(
                "utilization",
                "DOUBLE",
                "share",
                "share of spend to certified firms",
                base="vendors",
                definition="certified_paid / total_paid",
            ),
            _col("goal", "DOUBLE", "measure", "the program's utilization goal"),
        ],
        controlled=False,
    ),
    _decl(
        "procurement_disparity",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year"),
            _col("category", "VARCHAR", "dimension", "procurement category"),
            _col("firms", "BIGINT", "count", "certified firms available"),
            _col(
                "disparity_index",
                "DOUBLE",
                "rate",
                "disparity index",
                base="firms",
                definition="utilization share ÷ availability share",
            ),
            _col("below_threshold", "BOOLEAN", "flag", "disparity index below 0.80"),
        ],
        controlled=False,
    ),
    _decl(
        "procurement_awards_vs_paid",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year"),
            _col("agency", "VARCHAR", "dimension", "awarding agency"),
            _col("awarded_amount", "DECIMAL(18,2)", "amount", "awarded to certified firms"),
            _col("paid_amount", "DECIMAL(18,2)", "amount", "paid to certified firms"),
        ],
        controlled=False,
    ),
    _decl(
        "safety_net_enrollment",
        "safety_net",
        "program_evaluation",
        [
            _col("quarter", "VARCHAR", "dimension", "calendar quarter"),
            _col("county", "VARCHAR", "dimension", "county of residence"),
            _col("enrolled", "BIGINT", "count", "people enrolled"),
            _col(
                "churn_rate",
                "DOUBLE",
                "rate",
                "left and returned within 90 days",
                base="enrolled",
                definition="returned within 90 days / exits",
            ),
        ],
    ),
    _decl(
        "workforce_outcomes",
        "workforce",
        "program_evaluation",
        [
            _col("exit_year", "INTEGER", "dimension", "year of program exit"),
            _col("program", "VARCHAR", "dimension", "program exited"),
            _col("exiters", "BIGINT", "count", "people who exited"),
            _col(
                "employed_q2", "DOUBLE", "rate", "employed 2nd quarter after exit", base="exiters"
            ),
            _col(
                "employed_q4", "DOUBLE", "rate", "employed 4th quarter after exit", base="exiters"
            ),
            _col(
                "median_earnings_q2",
                "DOUBLE",
                "median",
                "median earnings, 2nd quarter after exit",
                base="exiters",
            ),
        ],
    ),
    _decl(
        "student_outcomes",
        "education",
        "program_evaluation",
        [
            _col("cohort_year", "INTEGER", "dimension", "graduation year"),
            _col("county", "VARCHAR", "dimension", "county of the high school"),
            _col("graduates", "BIGINT", "count", "high-school graduates"),
            _col("enrolled_16mo", "DOUBLE", "rate", "enrolled within 16 months", base="graduates"),
        ],
    ),
    _decl(
        "linkage_quality",
        "platform",
        "linkage_quality_monitoring",
        [
            _col("source", "VARCHAR", "dimension", "extract linked"),
            _col("records", "BIGINT", "measure", "records considered"),
            _col("linked", "BIGINT", "measure", "records linked to an entity"),
        ],
        controlled=False,
    ),
]


def declarations() -> list[MartDeclaration]:
    return [MartDeclaration.model_validate(d) for d in DECLARATIONS]
