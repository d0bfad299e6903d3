"""Asset check specs and results built from contract expectations (one check each)."""

from __future__ import annotations

from typing import Protocol

import dagster as dg

from datalabs_pipelines.contracts.model import Contract, Expectation
from datalabs_pipelines.contracts.staging_names import checked_column
from datalabs_pipelines.dictionary_links import dictionary_link
from datalabs_pipelines.quality.expectations import Outcome, check_name, describe

PARSES = "values_parse"


class StagedCounts(Protocol):
    """What staging reports about typing a table (``cleaning.staging.StagingResult``)."""

    rows_staged: int
    invalid_values: dict[str, int]


def check_specs(contract: Contract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            PARSES,
            asset=key,
            blocking=False,
            description="Every non-empty raw value parses as its contract type (WARN).",
        )
    ]
    for exp in contract.expectations:
        # ERROR checks hold back what reads the extract (the candidate is not promoted and
        # the marts in its lineage keep their last good version) rather than Dagster's
        # `blocking`, which would also stop the publish of every unrelated mart.
        error = exp.severity == "error"
        holds = "; rejects the candidate, holds back dependent marts" if error else ""
        specs.append(
            dg.AssetCheckSpec(
                check_name(exp),
                asset=key,
                blocking=False,
                description=f"{describe(exp)} ({exp.severity.upper()}{holds}; Great Expectations)",
                metadata={"contract": contract.name, "expectation": exp.type},
            )
        )
    return specs


def dictionary_anchor(contract: Contract, check: str) -> str:
    """The data dictionary entry a check is about: its staging column, else the table."""
    table = f"staging.{contract.name}"
    for exp in contract.expectations:
        column = getattr(exp, "column", None)
        if check_name(exp) == check and column is not None:
            staged = checked_column(contract.column(column))
            if exp.type == "between" and contract.column(column).pii_kind == "dob":
                staged = f"{column}_year"
            return f"{table}.{staged}"
    return table


def check_result(key: dg.AssetKey, contract: Contract, outcome: Outcome) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {
        "expectation": outcome.description,
        "contract": contract.name,
        "dictionary": dictionary_link(dictionary_anchor(contract, outcome.name)),
    }
    if outcome.unexpected_count is not None:
        metadata["unexpected_count"] = int(outcome.unexpected_count)
        metadata["unexpected_percent"] = float(outcome.unexpected_percent or 0.0)
    if outcome.element_count is not None:
        metadata["element_count"] = int(outcome.element_count)
    if outcome.observed_value is not None:
        metadata["observed_value"] = outcome.observed_value
    if outcome.sample_keys:
        metadata["sample_record_ids"] = ", ".join(outcome.sample_keys)
    if outcome.error:
        metadata["error"] = outcome.error
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=outcome.name,
        passed=outcome.passed,
        severity=(
            dg.AssetCheckSeverity.ERROR
            if outcome.severity == "error"
            else dg.AssetCheckSeverity.WARN
        ),
        metadata=metadata,
    )


def not_delivered_result(
    key: dg.AssetKey, contract: Contract, exp: Expectation
) -> dg.AssetCheckResult:
    """A check on an extract with no delivery: nothing to check (rows are checked per delivery)."""
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=check_name(exp),
        passed=True,
        severity=(
            dg.AssetCheckSeverity.ERROR if exp.severity == "error" else dg.AssetCheckSeverity.WARN
        ),
        description="skipped: extract not delivered",
        metadata={"status": "skipped: extract not delivered", "contract": contract.name},
    )


def parse_check_result(
    key: dg.AssetKey, staged: StagedCounts, contract: Contract | None = None
) -> dg.AssetCheckResult:
    failed = sum(staged.invalid_values.values())
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=PARSES,
        passed=failed == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unexpected_count": failed,
            "unexpected_percent": 100.0 * failed / staged.rows_staged
            if staged.rows_staged
            else 0.0,
            "invalid_values_by_column": dg.MetadataValue.json(staged.invalid_values),
            "dictionary": dictionary_link(f"staging.{contract.name}" if contract else ""),
        },
    )
