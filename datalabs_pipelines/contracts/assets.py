"""One definitions-level entry per invalid contract, so the Dagster UI shows what is wrong.

The entry is an external asset (never materialized) in the group ``contract_errors``, keyed by
the contract's file; its description lists the problems, one per line. The other contracts'
assets load and run as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts.loader import ContractError

GROUP = "contract_errors"


def contract_error_specs(errors: Sequence[ContractError]) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=["contract_errors", _key(error)],
            description=(
                f"Invalid contract {error.path.name}: its extract is not loaded until this is "
                "fixed.\n\n" + "\n".join(f"- {line}" for line in error.lines)
            ),
            group_name=GROUP,
            kinds={"yaml"},
            metadata={
                "file": str(error.path),
                "problems": dg.MetadataValue.md("\n".join(f"- {x}" for x in error.lines)),
            },
        )
        for error in errors
    ]


def _key(error: ContractError) -> str:
    name = f"{error.path.parent.name}__{error.path.stem}".lower()
    return re.sub(r"[^a-z0-9_]", "_", name)
