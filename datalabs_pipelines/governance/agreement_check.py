"""The blocking asset check every mart carries: its sources' agreements permit its purpose."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from datalabs_pipelines.governance.agreements import AGREEMENT_CHECK, AgreementFinding
from datalabs_pipelines.marts.declaration import MartDeclaration

SCHEDULED_TIME_TAG = "dagster/scheduled_execution_time"


def agreement_check_spec(key: dg.AssetKey, declaration: MartDeclaration) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        AGREEMENT_CHECK,
        asset=key,
        blocking=True,
        description=(
            f"Every source's data-sharing agreement permits purpose "
            f"'{declaration.purpose}' and has not expired on the run date (ERROR). "
            "Evaluated before the mart is built; a failure stops the build and the publish."
        ),
        metadata={"purpose": declaration.purpose},
    )


def agreement_check_result(
    key: dg.AssetKey, findings: list[AgreementFinding], on: dt.date
) -> dg.AssetCheckResult:
    problems = [p for f in findings if (p := f.problem())]
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=AGREEMENT_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) or None,
        metadata={
            "run_date": on.isoformat(),
            "sources_checked": len(findings),
            "violations": "\n".join(problems) or "none",
            "agreements": dg.MetadataValue.json(
                {
                    f.source: {
                        "agreement": f.agreement,
                        "expires": f.expires.isoformat(),
                        "days_left": (f.expires - on).days,
                        "permits_purpose": f.permits_purpose,
                    }
                    for f in findings
                }
            ),
        },
    )
