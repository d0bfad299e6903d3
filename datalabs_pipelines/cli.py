"""The `datalabs` console script: generate sample data, run everything, validate an extract."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

ERROR_PROFILES = ("default", "heavy")
"""``generator/errors.py``'s profiles (named here: importing it costs the CLI NumPy)."""


COMMITTED_SAMPLE = {
    "scale": 1.0,
    "seed": 2026,
    "through": None,
    "errors": "default",
    "error_rate": 1.0,
    "k12_ssn_share": 0.0,
}
"""`generate`'s arguments for the committed sample, the only one written into ``data/``."""


def _generate(args: argparse.Namespace) -> int:
    from datalabs_pipelines.generator.errors import profile
    from datalabs_pipelines.generator.main import generate
    from datalabs_pipelines.settings import PROJECT_ROOT

    other = [
        f"--{k.replace('_', '-')}" for k, v in COMMITTED_SAMPLE.items() if getattr(args, k) != v
    ]
    if other and Path(args.out).resolve() == PROJECT_ROOT / "data":
        print(
            f"datalabs generate: {PROJECT_ROOT / 'data'} holds the committed sample (scale 1, "
            f"seed 2026); a sample with {', '.join(other)} of its own goes elsewhere: --out DIR",
            file=sys.stderr,
        )
        return 2

    summary = generate(
        scale=args.scale,
        seed=args.seed,
        out=Path(args.out),
        progress=not args.quiet,
        through=_through(args.through),
        errors=profile(args.errors, args.error_rate),
        k12_ssn_share=args.k12_ssn_share,
    )
    print(summary)
    return 0


def _through(value: str | None):
    """``--through``: None (the default period), ``today`` (in the state's zone) or a date."""
    import datetime as dt

    if value is None:
        return None
    if value == "today":
        from datalabs_pipelines.run_context import run_date

        return run_date()
    return dt.date.fromisoformat(value)


def _key_ready(command: str) -> bool:
    """Create the development linkage key now if there is none (production: check the one
    set), before any definitions load: the nightly job's code tag then names the key runs
    tokenize with, and the next night starts from this run instead of rebuilding everything
    (a tag computed with no key file yet reads "none yet" and matches no later night)."""
    from datalabs_pipelines.privacy_tokens import MissingKeyError, linkage_key

    try:
        linkage_key()
    except MissingKeyError as error:
        print(f"datalabs {command}: {error}", file=sys.stderr)
        return False
    return True


def _dagster_home() -> None:
    """``DAGSTER_HOME`` as the Makefile sets it when the environment has none: ``data/dagster_home``
    holding the project's ``dagster.yaml``, so that a run or a withdrawal is recorded where the
    UI and the nightly schedule read it (Dagster refuses to start without one)."""
    if os.environ.get("DAGSTER_HOME"):
        return
    import shutil

    from datalabs_pipelines.settings import PROJECT_ROOT

    home = PROJECT_ROOT / "data" / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)


def _ui(args: argparse.Namespace) -> int:
    """``dagster dev`` on the workspace (webserver, daemon, code server), with the key first."""
    if not _key_ready("ui"):
        return 2
    dagster = str(Path(sys.executable).with_name("dagster"))
    os.execv(dagster, [dagster, "dev", "-w", args.workspace])
    return 0  # not reached: dagster dev replaces this process


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if not _key_ready("run"):
        return 2
    import dagster as dg

    from datalabs_pipelines.automation.local_run import materialize_everything
    from datalabs_pipelines.automation.summary import (
        collapsed_lines,
        deliveries_not_in_use,
        extract_report,
        failed_checks,
        mart_report,
        published_tables,
        quarantined_rows,
        warehouse_summary,
    )
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.definitions import defs  # built once, as the code location's
    from datalabs_pipelines.ingestion.landing import unowned_files
    from datalabs_pipelines.settings import get_settings
    from datalabs_pipelines.warehouse import warehouse_database

    settings = get_settings()
    contracts = list(all_contracts())
    # (importing the definitions tuned the garbage collector: gc_tuning.py)
    with dg.DagsterInstance.get() as instance:
        outcome = materialize_everything(defs, contracts, instance)
    elapsed = time.perf_counter() - started
    for run_id in outcome.released_runs:
        print(f"released run {run_id}: its lease ran out (its process died); pool slot freed")

    print(f"\ndatalabs run finished in {elapsed:.1f} s")
    held = outcome.deliveries_landed - outcome.deliveries_loaded
    print(
        f"deliveries: {outcome.deliveries_loaded} taken into the load ledger now (loaded, or"
        f" recorded as below), {held} in it already (unchanged, under the same contract)"
    )
    print(f"{'layer':<12}{'tables':>8}{'rows':>12}")
    for schema, tables, rows in warehouse_summary(warehouse_database()):
        print(f"{schema:<12}{tables:>8}{rows:>12,}")
    print("extracts:")
    for extract, status, deliveries, loaded, quarantined, reason in extract_report(
        warehouse_database()
    ):
        counts = f"{deliveries} deliveries, {loaded:,} rows loaded, {quarantined:,} quarantined"
        detail = {"loaded": counts, "not delivered": "no delivery"}.get(status, counts)
        print(f"  {extract:<38}{status.upper() if status == 'held back' else status:<15}{detail}")
        if reason:
            print(f"      why: {reason}")
    for extract, delivery, status, rule in deliveries_not_in_use(warehouse_database()):
        print(f"  {extract}/{delivery}: {status}" + (f" ({rule})" if rule else ""))
    print("marts:")
    for mart, status, reason, through, built in mart_report(
        warehouse_database(), settings.published_path
    ):
        built_at = built.strftime("%Y-%m-%d %H:%M") if built else "never"
        when = {"fresh": f"data through {through}" if through else "", "stale": f"since {built_at}"}
        label = status.upper() if status in ("stale", "blocked") else status
        print(f"  {mart:<38}{label:<15}{when.get(status, '')}")
        if reason:
            print(f"      why: {reason}")
    warn = [c for c in outcome.checks_failed if c.endswith("(WARN)")]
    errors = [c for c in outcome.checks_failed if not c.endswith("(WARN)")]
    print(f"checks: {outcome.checks_passed} passed, {len(errors)} failed, {len(warn)} warnings")
    rows = {f"{e}:{c}": n for e, c, n in failed_checks(warehouse_database(), "error")}
    rows |= {f"{e}:{c}": n for e, c, n in failed_checks(warehouse_database(), "warn")}
    for failed in errors:
        print(f"  FAILED: {failed}{_rows(rows, failed)}")
    for warned in warn:
        print(f"  warning: {warned}{_rows(rows, warned)}")
    print(f"rows quarantined: {quarantined_rows(warehouse_database()):,}")
    for extract, lines, amount in collapsed_lines(warehouse_database()):
        total = f", amount {amount:,.2f}" if amount is not None else ""
        print(f"identical lines collapsed in {extract}: {lines:,}{total}")
    print(f"warehouse: {warehouse_database()}")
    published = published_tables(settings.published_path)
    if published:
        print(
            f"published: {settings.published_path} "
            f"({', '.join(f'{t} {n:,} rows' for t, n in published)})"
        )
    else:
        print("published: nothing (a blocking check failed or publish did not run)")
    for page in ("dashboard.html", "dictionary.html"):
        if (settings.published_dir / page).exists():
            print(f"page: {settings.published_dir / page}")
    stray = unowned_files(tuple(contracts), settings.landing_dir)
    if stray:
        print(f"files in landing that match no contract (not loaded): {len(stray)}")
        for path in stray[:20]:
            print(f"  {path}")
    for label in outcome.failed_runs:
        print(f"FAILED: {label} (see `make ui` for the run's logs)", file=sys.stderr)
    gc.freeze()  # exit without a last collection over everything (1.3 s of Python teardown)
    return 1 if outcome.failed_runs else 0


def _exists(path: Path, what: str, command: str) -> bool:
    """Whether ``path`` is there; if not, say so (opening it would create an empty one or
    fail with DuckDB's own error)."""
    if path.exists():
        return True
    print(
        f"datalabs {command}: no {what} at {path} (run `make run` first, or point at one)",
        file=sys.stderr,
    )
    return False


def _rows(rows: dict[str, int | None], check: str) -> str:
    """`` (N rows)`` for a staging check named ``staging/agency/extract:check (SEVERITY)``."""
    asset, _, name = check.partition(":")
    count = rows.get(f"{asset.rsplit('/', 1)[-1]}:{name.split(' ')[0]}")
    return f", {count:,} rows" if count is not None else ""


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from datalabs_pipelines.evaluation.report import evaluate
    from datalabs_pipelines.settings import get_settings

    warehouse = Path(args.warehouse) if args.warehouse else get_settings().warehouse_path
    if not _exists(warehouse, "warehouse", "evaluate"):
        return 2
    report = evaluate(warehouse, Path(args.truth))
    print(json.dumps(report, indent=2, sort_keys=True))
    return 1 if any("error" in r for r in report.values()) else 0


def _train_person_model(args: argparse.Namespace) -> int:
    from datalabs_pipelines.linkage.training import train_on_warehouse

    if not _exists(Path(args.warehouse), "warehouse", "train-person-model"):
        return 2
    model = train_on_warehouse(
        Path(args.warehouse),
        Path(args.out),
        seed=args.seed,
        max_pairs=args.max_pairs,
        threshold=args.threshold,
        sample=args.sample,
    )
    print(f"person model {model.version} written to {args.out}")
    return 0


def _validate_extract(args: argparse.Namespace) -> int:
    from datalabs_pipelines.cleaning.validate import (
        NoContract,
        contract_for,
        render,
        validate_extract,
    )
    from datalabs_pipelines.contracts import ContractError, all_contracts, contract_errors

    path = Path(args.file)
    if not path.is_file():
        print(f"datalabs validate-extract: no such file: {path}", file=sys.stderr)
        return 2
    try:
        contract = contract_for(path, all_contracts(), args.contract)
    except (NoContract, ContractError) as exc:
        print(f"datalabs validate-extract: {exc}", file=sys.stderr)
        for error in contract_errors():  # the file's own contract may be one of these
            print(f"invalid contract (skipped):\n{error}", file=sys.stderr)
        return 2
    report = validate_extract(path, contract)
    print(render(report))
    return 0 if report.clean else 1


def _withdraw(args: argparse.Namespace) -> int:
    import dagster as dg

    from datalabs_pipelines.automation.nightly_scope import report_withdrawal
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.ingestion.ledger import UnknownDelivery, find_delivery, withdraw
    from datalabs_pipelines.ingestion.loading import load_resends
    from datalabs_pipelines.ingestion.physical import file_sha256
    from datalabs_pipelines.settings import get_settings
    from datalabs_pipelines.warehouse import is_lake, warehouse_database, warehouse_resource

    landing = get_settings().landing_dir
    database = warehouse_database()
    if not is_lake(database) and not _exists(Path(database), "warehouse", "withdraw"):
        return 2
    with warehouse_resource().get_connection() as con:
        try:
            contract, delivery = find_delivery(con, all_contracts(), args.delivery, landing)
        except UnknownDelivery as exc:
            print(f"datalabs withdraw: {exc}", file=sys.stderr)
            return 2
        path = landing / contract.agency / contract.name / delivery
        left = file_sha256(path) if path.is_file() else None
        withdraw(con, contract, delivery, args.reason, left)
        resends = load_resends(con, contract, [delivery], path.parent)
    with dg.DagsterInstance.get() as instance:  # DAGSTER_HOME: see _dagster_home
        report_withdrawal(instance, contract, delivery, args.reason)
    print(
        f"{contract.name}/{delivery}: withdrawn (its rows left raw and quarantine; the ledger "
        "keeps its record). The next run rebuilds staging and the snapshot without it"
        + (" and does not load these bytes again." if left else ".")
    )
    for resend in resends:
        print(
            f"{contract.name}/{resend}: the same bytes under another name, recorded as its "
            "duplicate, is loaded in its place (withdraw it too if these rows must go)."
        )
    return 0


def _suppression(args: argparse.Namespace) -> int:
    from datalabs_pipelines.dashboard.render import render_dashboard
    from datalabs_pipelines.marts.declaration import all_declarations
    from datalabs_pipelines.settings import get_settings

    snapshot = Path(args.snapshot) if args.snapshot else get_settings().published_path
    if not _exists(snapshot, "published snapshot", "suppression"):
        return 2
    _, summary = render_dashboard(snapshot, all_declarations())
    print(f"{'mart':32} {'charted cells suppressed':>34} {'whole table suppressed':>34}")
    for mart, (charts, table) in summary.suppressed.items():
        if table.cells:
            charted = charts.text() if charts.cells else "no chart"
            print(f"{mart:32} {charted:>34} {table.text():>34}")
    over = [m for m, (charts, _) in summary.suppressed.items() if not charts.publishes]
    return 1 if over else 0


def _bench(args: argparse.Namespace) -> int:
    if args.incremental:
        from datalabs_pipelines.bench.incremental import ARRIVING
        from datalabs_pipelines.bench.incremental import main as incremental

        return incremental(
            args.scale,
            args.seed,
            progress=not args.quiet,
            extracts=ARRIVING if args.arriving is None else args.arriving,
            errors=args.errors,
            correcting=args.correcting,
        )
    if args.parallel:
        from datalabs_pipelines.bench.parallel import main as parallel

        return parallel(
            args.scale, args.seed, args.backend, args.parallel, args.loads_only, args.errors
        )
    from datalabs_pipelines.bench.main import main as bench

    return bench(
        scale=args.scale,
        seed=args.seed,
        progress=not args.quiet,
        replays=args.replays,
        runs=args.runs,
        daemon=args.daemon,
        errors=args.errors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="datalabs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write synthetic agency extracts and truth")
    gen.add_argument("--scale", type=float, default=1.0, help="1 = ~10,000 people")
    gen.add_argument("--seed", type=int, default=2026)
    gen.add_argument(
        "--out",
        default="data",
        help="writes OUT/raw and OUT/truth (default: data, only for the committed sample)",
    )
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.add_argument(
        "--through",
        default=None,
        help="last simulated day: 'today' or YYYY-MM-DD (default: 2025-12-31, the committed "
        "sample's); the three simulated years end there",
    )
    gen.add_argument(
        "--errors",
        default="default",
        choices=ERROR_PROFILES,
        help="error profile: heavy adds swapped names, SSN and DOB keying errors, PO boxes, ...",
    )
    gen.add_argument(
        "--error-rate", type=float, default=1.0, help="multiplies every rate of the profile"
    )
    gen.add_argument(
        "--k12-ssn-share",
        type=float,
        default=0.0,
        help="share of students whose K-12 records carry their SSN, as some states collect "
        "(default 0: no SSN column, the committed sample)",
    )
    gen.set_defaults(func=_generate)

    run = commands.add_parser("run", help="materialize every asset and publish")
    run.set_defaults(func=_run)

    ui = commands.add_parser(
        "ui", help="the Dagster UI and daemon on the workspace (dagster dev), key created first"
    )
    ui.add_argument("--workspace", default="workspace.yaml", help="the workspace file")
    ui.set_defaults(func=_ui)

    ev = commands.add_parser("evaluate", help="linkage accuracy against the ground truth, as JSON")
    ev.add_argument("--truth", default="data/truth", help="the generator's truth folder")
    ev.add_argument("--warehouse", default=None, help="default: DATALABS_WAREHOUSE")
    ev.set_defaults(func=_evaluate)

    train = commands.add_parser(
        "train-person-model",
        help="retrain the person-match model on a warehouse's staged sample and write it",
    )
    train.add_argument("--warehouse", required=True, help="warehouse built by `datalabs run`")
    train.add_argument(
        "--out",
        default=str(Path(__file__).parent / "linkage" / "models" / "person_model.json"),
        help="model file to write (default: the committed one)",
    )
    train.add_argument("--seed", type=int, default=2026, help="seed of the u-sampling")
    train.add_argument("--max-pairs", type=float, default=2e6, help="random pairs for u")
    train.add_argument("--threshold", type=float, default=0.9, help="match probability cut")
    train.add_argument("--sample", default="", help="what the warehouse holds, for the record")
    train.set_defaults(func=_train_person_model)

    val = commands.add_parser(
        "validate-extract",
        help="check a file against its contract without touching the warehouse "
        "(exit 0 only if it would load cleanly)",
    )
    val.add_argument("file", help="the delivery file")
    val.add_argument(
        "--contract", default=None, help="default: the contract whose file_pattern matches"
    )
    val.set_defaults(func=_validate_extract)

    wd = commands.add_parser(
        "withdraw",
        help="withdraw a delivery: its rows leave raw and quarantine now, staging and the "
        "snapshot on the next run; the ledger keeps its record (deleting the file does the same)",
    )
    wd.add_argument(
        "delivery", help="the delivery file in landing, or its name (<extract>/<name> if shared)"
    )
    wd.add_argument("--reason", default="withdrawn by its steward", help="kept in the ledger")
    wd.set_defaults(func=_withdraw)

    sup = commands.add_parser(
        "suppression",
        help="share of gated cells suppressed per mart, in the dashboard's charts and in the "
        "whole table (exit 1 if a section's charts reach the limit)",
    )
    sup.add_argument("--snapshot", default=None, help="default: the published snapshot")
    sup.set_defaults(func=_suppression)

    bench = commands.add_parser(
        "bench", help="benchmark `run` on a generated sample; report under data/bench/"
    )
    bench.add_argument("--scale", type=float, default=1.0, help="1 = ~10,000 people")
    bench.add_argument("--seed", type=int, default=2026)
    bench.add_argument("--quiet", action="store_true", help="no progress bar while generating")
    bench.add_argument(
        "--errors",
        default="default",
        choices=ERROR_PROFILES,
        help="the sample's error profile, as `generate --errors` (its own folder: "
        "scale-N[-seed-S]-heavy)",
    )
    bench.add_argument(
        "--replays", type=int, default=3, help="bare SQL replays; the fastest counts"
    )
    bench.add_argument(
        "--runs", type=int, default=3, help="pipeline runs from scratch; the fastest counts"
    )
    bench.add_argument(
        "--no-daemon",
        dest="daemon",
        action="store_false",
        help="skip running nightly_job again after each run, in process and launched "
        "through the daemon (`make ui`'s processes), to compare the two",
    )
    bench.add_argument(
        "--parallel",
        type=int,
        nargs="+",
        metavar="N",
        help="instead: load once, then run the nightly graph with N concurrent step processes "
        "(each N given), reporting CPU per step and the critical path",
    )
    bench.add_argument(
        "--incremental",
        action="store_true",
        help="instead: build the sample without its newest wage and SNAP files, land them, "
        "let the daemon's sensor load them and launch nightly_job; compare with a full run",
    )
    bench.add_argument(
        "--arriving",
        nargs="*",
        metavar="EXTRACT",
        help="with --incremental: the extracts whose newest file arrives tonight instead of "
        "ui_wages and snap_enrollment (e.g. payments ui_claims); none: nothing arrives (what "
        "every night pays)",
    )
    bench.add_argument(
        "--correcting",
        nargs="+",
        default=(),
        metavar="EXTRACT",
        help="with --incremental: tonight also corrects each extract's newest earlier file "
        "(one data line in 100 dropped, later lines moving up), as an office's re-export does",
    )
    bench.add_argument(
        "--backend",
        choices=("embedded", "ducklake"),
        default="embedded",
        help="with --parallel: the warehouse (ducklake reads DATALABS_DUCKLAKE_CATALOG and "
        "DATALABS_DUCKLAKE_DATA_PATH: an empty lake)",
    )
    bench.add_argument(
        "--loads-only",
        action="store_true",
        help="with --parallel: load with the load jobs alone instead of `datalabs run`, so the "
        "first multiprocess nightly builds staging, linkage and marts from raw (cheaper)",
    )
    bench.set_defaults(func=_bench)

    args = parser.parse_args(argv)
    from datalabs_pipelines.settings import SettingsError

    if args.command in ("run", "ui", "withdraw"):  # they record runs or read the instance
        _dagster_home()
    try:
        return args.func(args)
    except SettingsError as error:
        print(f"datalabs {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
