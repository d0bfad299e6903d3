"""The blocking asset check every mart carries: its sources' agreements permit its purpose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.governance.agreements import AGREEMENT_CHECK, AgreementFinding
from datalabs_pipelines.marts.declaration import MartDeclaration


def agreement_check_spec(key: dg.AssetKey, declaration: MartDeclaration) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        AGREEMENT_CHECK,
        asset=key,
        blocking=False,
        description=(
            f"Every source's data-sharing agreement permits purpose "
            f"'{declaration.purpose}' and has not expired on the run date. Evaluated before "
            "the mart is built: a required source not permitted blocks this mart only (ERROR; "
            "its table is not published, the run fails); an optional one is left out (WARN)."
        ),
        metadata={"purpose": declaration.purpose},
    )


def agreement_check_result(
    key: dg.AssetKey,
    findings: list[AgreementFinding],
    on: dt.date,
    left_out: Sequence[str] = (),
) -> dg.AssetCheckResult:
    """Fails (ERROR) when a problem blocks the mart; WARN when the sources were left out."""
    problems = [p for f in findings if (p := f.problem())]
    blocking = [p for f in findings if (p := f.problem()) and f.source not in left_out]
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=AGREEMENT_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description="; ".join(problems) or None,
        metadata={
            "run_date": on.isoformat(),
            "sources_left_out": ", ".join(left_out) or "none",
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
