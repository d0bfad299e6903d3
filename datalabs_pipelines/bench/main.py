"""`datalabs bench`: generate (or reuse) a sample, materialize it, measure, report.

The pipeline runs as a child process (`datalabs run`, exactly what `make run` does) pointed at
``data/bench/scale-N/``, recording its SQL; this process samples the child's process tree for
memory, then reads step timings from the Dagster instance, replays the recorded SQL bare, and
times Great Expectations against a hand-written aggregate on the largest staging table.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.bench.breakdown import breakdown
from datalabs_pipelines.bench.child import RunMeasurement, run_pipeline
from datalabs_pipelines.bench.cpu import step_cpu, used_between
from datalabs_pipelines.bench.daemon import (
    DaemonLaunch,
    InProcessNightly,
    launch_nightly,
    nightly_in_process,
)
from datalabs_pipelines.bench.events import RunEvents, read_run_events, seconds_by_layer
from datalabs_pipelines.bench.replay import ReplayResult, Statement, read_log, replay
from datalabs_pipelines.bench.report import format_report, per_row, ratio
from datalabs_pipelines.bench.validation import compare
from datalabs_pipelines.bench.workspace import (
    DEFAULT_ERRORS,
    BenchPaths,
    ensure_sample,
    fresh_warehouse,
)

SLOWEST_STATEMENTS = 10


def rows_ingested(warehouse: Path) -> dict[str, dict[str, int]]:
    """Per extract, from the load ledger: records in the files, rows loaded, quarantined."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                "SELECT extract, sum(records_in_file), sum(rows_loaded), sum(rows_quarantined) "
                "FROM raw.deliveries GROUP BY extract ORDER BY extract"
            ).fetchall()
        except duckdb.CatalogException:  # the run failed before loading anything
            return {}
    return {
        e: {"records_in_file": int(r), "rows_loaded": int(lo), "rows_quarantined": int(q)}
        for e, r, lo, q in rows
    }


def largest_staging_table(warehouse: Path) -> tuple[str, int] | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = "
            "'staging' AND table_name <> 'check_results' AND NOT ends_with(table_name, "
            "'__candidate') ORDER BY estimated_size DESC LIMIT 1"
        ).fetchone()
    return (row[0], int(row[1])) if row else None


def _validation(paths: BenchPaths) -> dict[str, Any] | None:
    from datalabs_pipelines.contracts import all_contracts

    largest = largest_staging_table(paths.warehouse)
    if largest is None:
        return None
    contract = next(c for c in all_contracts() if c.name == largest[0])
    result = compare(paths.warehouse, contract, f"staging.{contract.name}")
    return {**result.__dict__, "ratio": result.ratio}


def _replay_once(paths: BenchPaths, statements: list[Statement]) -> ReplayResult:
    """One bare replay on a fresh database; the publish step's file goes to a fresh folder."""
    published = paths.replay_database.parent / "published"
    shutil.rmtree(published, ignore_errors=True)
    published.mkdir(parents=True)
    return replay(statements, paths.replay_database, {str(paths.published): str(published)})


@dataclass(frozen=True)
class PipelineRun:
    """One measured `datalabs run` from scratch: its timing, its Dagster events, its SQL; then
    (if asked) ``nightly_job`` again on its warehouse, in process as `make run` runs it and
    launched through the daemon, neither recording SQL."""

    measured: RunMeasurement
    events: RunEvents
    statements: list[Statement]
    nightly: InProcessNightly | None
    launched: DaemonLaunch | None


def _run_once(paths: BenchPaths, daemon: bool) -> PipelineRun:
    import dagster as dg

    fresh_warehouse(paths)
    measured = run_pipeline(paths)
    with dg.DagsterInstance.get() as instance:
        events = read_run_events(instance)
    statements = read_log(paths.sql_log) if paths.sql_log.exists() else []
    if not daemon or measured.returncode != 0:
        return PipelineRun(measured, events, statements, None, None)
    nightly = nightly_in_process(paths)
    return PipelineRun(measured, events, statements, nightly, launch_nightly(paths))


def nightly_cpu(nightly: InProcessNightly) -> tuple[float, float, dict[str, float]] | None:
    """CPU of the in-process nightly run's process over the run's span: the whole span, inside
    steps, and per step (None without a finished run or CPU samples)."""
    span, series = nightly.run, nightly.cpu_series
    if span.ended is None or not series:
        return None
    whole = used_between(series, span.created, span.ended).get("all", 0.0)
    steps = step_cpu(series, list(span.steps), "all")
    return whole, sum(steps.values()), steps


def daemon_comparison(done: list[PipelineRun]) -> dict[str, Any] | None:
    """The nightly job launched through the daemon against the same job inside `datalabs run`,
    round by round (each pair back to back), creation to end of the run in both: wall time,
    and the CPU of every process that served each (on a shared machine, the figure to trust)."""
    launches = [r.launched for r in done if r.launched]
    rounds = [
        r
        for r in done
        if r.launched and r.launched.run.status == "SUCCESS" and r.nightly
        if r.nightly.returncode == 0 and r.nightly.run.total_seconds
        if r.launched.run.total_seconds
    ]
    if not launches:
        return None
    if not rounds:  # a failed run did less work: no ratio
        return {"daemon_status_each": [launched.run.status for launched in launches]}
    in_process = [r.nightly.run.total_seconds for r in rounds]
    launched = [r.launched.run.total_seconds for r in rounds]
    compared: dict[str, Any] = {
        "make_run_nightly_seconds_each": in_process,
        "daemon_nightly_seconds_each": launched,
        "daemon_waiting_seconds_each": [r.launched.run.waiting_seconds for r in rounds],
        "daemon_cpu_seconds_each": [r.launched.cpu_seconds for r in rounds],
        "daemon_cpu_by_process_each": [r.launched.cpu_by_role for r in rounds],
        "daemon_status_each": [launched.run.status for launched in launches],
        "daemon_peak_tree_rss_bytes": max(r.launched.peak_tree_rss_bytes for r in rounds),
        "ratio_each": [ratio(b, a) for a, b in zip(in_process, launched, strict=True)],
        "ratio_fastest": ratio(min(launched), min(in_process)),
    }
    cpu = [nightly_cpu(r.nightly) for r in rounds]
    if all(cpu) and all(r.launched.step_cpu is not None for r in rounds):
        daemon_steps = [sum(r.launched.step_cpu.values()) for r in rounds]
        compared |= {
            "make_run_nightly_cpu_seconds_each": [c[0] for c in cpu],
            "make_run_nightly_step_cpu_seconds_each": [c[1] for c in cpu],
            "daemon_step_cpu_seconds_each": daemon_steps,
            "cpu_ratio_each": [
                ratio(r.launched.cpu_seconds, c[0]) for r, c in zip(rounds, cpu, strict=True)
            ],
            "cpu_ratio_lowest": ratio(
                min(r.launched.cpu_seconds for r in rounds), min(c[0] for c in cpu)
            ),
            "step_cpu_each": [
                {"make_run": c[2], "daemon": r.launched.step_cpu}
                for r, c in zip(rounds, cpu, strict=True)
            ],
        }
    return compared


def run_bench(
    scale: float,
    seed: int,
    progress: bool = True,
    replays: int = 3,
    runs: int = 3,
    daemon: bool = True,
    errors: str = DEFAULT_ERRORS,
) -> dict[str, Any]:
    """Everything `datalabs bench` measures, as a JSON-ready dict (also written to disk).

    The pipeline runs ``runs`` times from scratch and the bare replay ``replays`` times on a
    fresh database, alternately; the fastest of each counts (a shared machine has slow
    spells), while the peak memory is the highest of all runs. With ``daemon``, each run is
    followed by ``nightly_job`` launched through `dagster-daemon` on the warehouse it loaded.
    """
    paths = BenchPaths(scale, seed, errors=errors)
    generated = ensure_sample(paths, progress=progress)
    os.environ.update(paths.environment())  # this process reads the same instance and warehouse
    load_before = os.getloadavg()[0]
    done: list[PipelineRun] = []
    replayed: list[ReplayResult] = []
    # Each replay follows a run, so the two sides see the machine in the same state. The
    # statements are the same every run; the latest run's are replayed, its frames' Parquet
    # files being the ones on disk (each run starts by clearing the log folder).
    for round_ in range(max(1, runs, replays)):
        if round_ < max(1, runs):
            done.append(_run_once(paths, daemon))
        if round_ < max(1, replays):
            replayed.append(_replay_once(paths, done[-1].statements))
    load_after = os.getloadavg()[0]
    best = min(done, key=lambda r: r.measured.wall_seconds)
    measured, events, statements = best.measured, best.events, best.statements
    ingested = rows_ingested(paths.warehouse)
    input_rows = sum(r["records_in_file"] for r in ingested.values())
    sql_seconds = sum(s.seconds for s in statements)
    bare = min(replayed, key=lambda r: r.seconds)
    slowest = sorted(statements, key=lambda s: -s.seconds)[:SLOWEST_STATEMENTS]
    split = breakdown(events.spans, statements)
    report: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "sample_generated_now": generated,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "load_before": load_before,
            "load_after": load_after,
        },
        "pipeline_ok": all(r.measured.returncode == 0 and not r.events.failed_steps for r in done),
        "failed_steps": sorted({step for r in done for step in r.events.failed_steps}),
        "pipeline_runs": len(done),
        "wall_seconds_each": [r.measured.wall_seconds for r in done],
        "wall_seconds": measured.wall_seconds,
        "cpu_seconds": measured.cpu_seconds,
        "peak_tree_rss_bytes": max(r.measured.peak_tree_rss_bytes for r in done),
        "max_single_process_rss_bytes": max(r.measured.max_single_process_rss_bytes for r in done),
        "rss_samples": measured.rss_samples,
        "input_rows": input_rows,
        "seconds_per_input_row": per_row(measured.wall_seconds, input_rows),
        "rows_ingested": ingested,
        "runs": len(events.run_seconds),
        "run_seconds_total": sum(events.run_seconds),
        "seconds_by_layer": seconds_by_layer(events.steps),
        "step_seconds": events.steps,
        "sql": {
            "statements": len(statements),
            "seconds": sql_seconds,
            "share_of_wall": ratio(sql_seconds, measured.wall_seconds),
            "great_expectations_seconds": sum(
                s.seconds for s in statements if s.session.startswith("s")
            ),
        },
        "outside_sql": {
            "in_steps": split.not_sql_in_steps,
            "outside_steps": split.outside_steps(measured.wall_seconds),
            "by_step": dict(sorted(split.not_sql_by_step.items(), key=lambda kv: -kv[1])),
        },
        "validation_seconds": events.validation_seconds,
        "bare_sql": {**bare.__dict__, "best_of": max(1, replays)},
        "overhead_ratio": ratio(measured.wall_seconds, bare.seconds),
        "linkage_pairs_compared": events.pairs_compared,
        "slowest_statements": [
            {"seconds": s.seconds, "session": s.session, "sql": " ".join(s.sql.split())[:300]}
            for s in slowest
        ],
        "daemon": daemon_comparison(done),
        "validation_comparison": _validation(paths) if paths.warehouse.exists() else None,
    }
    paths.report.write_text(json.dumps(report, indent=2, default=str))
    return report


def main(
    scale: float,
    seed: int,
    progress: bool = True,
    replays: int = 3,
    runs: int = 3,
    daemon: bool = True,
    errors: str = DEFAULT_ERRORS,
) -> int:
    report = run_bench(scale, seed, progress, replays, runs, daemon, errors)
    print(format_report(report))
    print(f"\nreport: {BenchPaths(scale, seed, errors=errors).report}")
    return 0 if report["pipeline_ok"] else 1
