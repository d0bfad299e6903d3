"""Offline training of the vendor-resolution model; never called by the pipeline.

Usage: ``python -m datalabs_pipelines.procurement.train WAREHOUSE OUT``. Reads
``integrated.business_records`` from a warehouse built by ``datalabs run`` (attached read-only)
and estimates the parameters of the comparisons ``vendor_linkage.yaml`` declares, without
labels, through the project's one Splink wrapper (the prior from the declared prior rules, random
sampling for u, expectation maximisation for m with the declared sessions),
floors every m probability at the declared ``m_floor``, then writes the model file
(``linkage.modelfile``'s format, with the threshold of the model it replaces). Commit the file
under a new version name and point ``vendor_linkage.yaml`` at it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from datalabs_pipelines.linkage.modelfile import MatchModel, save_model
from datalabs_pipelines.linkage.splink_session import floor_m, splink_linker
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.linkage import vendor_profiles
from datalabs_pipelines.warehouse import literal

SEED = 2026


def train(warehouse: Path, out: Path, threshold: float) -> None:
    linkage = load_config().linkage
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(warehouse.resolve()))} AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        records = vendor_profiles(con, linkage)
        with splink_linker(con, records, linkage.splink_settings()) as linker:
            linker.training.estimate_probability_two_random_records_match(
                linkage.prior_rules, recall=0.8
            )
            linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
            for rule in linkage.reestimation.em_blocking_rules:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            settings_json = floor_m(linker.misc.save_model_to_json(), linkage.m_floor)
    settings_json.pop("linker_uid", None)
    trained = {"by": "python -m datalabs_pipelines.procurement.train", "seed": SEED}
    save_model(MatchModel(settings_json, threshold, trained), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m datalabs_pipelines.procurement.train",
        description="Train the vendor-resolution model on a warehouse built by `datalabs run`.",
    )
    parser.add_argument("warehouse", type=Path, help="the warehouse (read only)")
    parser.add_argument(
        "out", type=Path, help="the new model file (a new version name, never the one in use)"
    )
    args = parser.parse_args(argv)
    linkage = load_config().linkage
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}")
    if args.out.resolve() == Path(linkage.model_path).resolve():
        parser.error(f"{args.out} is the model in use: write a new version and point at it")
    train(args.warehouse, args.out, linkage.accept_probability)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
