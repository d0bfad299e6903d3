"""`datalabs bench --incremental`: what a night costs when one quarter's files arrive.

The nights before: the sample without its newest wage file and its newest SNAP file, built by
`datalabs run`. Tonight: those two files land, what `make ui` starts runs (the daemon's landing
sensor requests one load run per new file, as in a deployment) and ``nightly_job`` is launched
through the queue as the schedule launches it. Tonight's cost (the time some load run or the
nightly run was under way, each from creation to end; the load runs overlap) is set against a
full `datalabs run` from scratch over the same deliveries, whose tables are compared with
tonight's by checksum: the published snapshot whole (the rebuild's publish given the memory of
the snapshot published before tonight, as tonight's was: the disclosure audit combines them),
and the staging and integrated tables (``integrated_*`` in the report) without their keys,
without the run ids rows carry, and without the logs that keep a row per run. Person and vendor
records are compared by cluster instead, each record with the others that share its key:
``person_key`` is drawn at random for a new cluster, so two builds from scratch never share
them, and a ``vendor_key`` persists (a firm keeps the key it had when a registry's record joins
it tonight, while a rebuild derives the key from the cluster's first record, which may be the
newcomer).

With ``--correcting``, tonight also brings a correction: an extract's newest delivery that does
not arrive tonight is sent again with one data line in ``CORRECTED_EVERY`` dropped (so every
later line moves to another line number, as when a state's office re-exports a file), and the
rebuild reads the corrected file; the sample's own file is put back afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from datalabs_pipelines.automation.schedules import nightly_request
from datalabs_pipelines.bench.checksums import differing_tables, table_checksums
from datalabs_pipelines.bench.child import RunMeasurement, run_pipeline
from datalabs_pipelines.bench.daemon import (
    DaemonLaunch,
    RunSpan,
    launch_nightly,
    run_span,
    running_daemon,
    wait_for,
)
from datalabs_pipelines.bench.report import ratio
from datalabs_pipelines.bench.workspace import (
    DEFAULT_ERRORS,
    BenchPaths,
    ensure_sample,
    fresh_warehouse,
)
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.contracts.model import DelimitedFormat, ExcelFormat
from datalabs_pipelines.evaluation.incremental_linkage import differing
from datalabs_pipelines.ingestion.landing import Delivery, deliveries
from datalabs_pipelines.linkage.keys import CROSSWALK
from datalabs_pipelines.procurement.keys import ASSIGNMENTS as VENDOR_KEY_MEMORY
from datalabs_pipelines.procurement.linkage import RESOLVED_FROM as VENDOR_KEYS
from datalabs_pipelines.publishing.audit_memory import memory_path
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import identifier, literal, qualified

# Tonight's arrivals: the newest delivery of each (a quarter of wages, a benefit program's file)
ARRIVING = ("ui_wages", "snap_enrollment")
SENSOR_TRIGGER = "landing_sensor"
CORRECTED_EVERY = 100  # a correction drops one data line in this many
COMPARED_SCHEMAS = ("staging", "integrated")
# left out of the comparison: keys (their records are compared by cluster: ``KEYED``; the review
# table shows both sides' keys), and which run wrote a row (two runs tonight, one in the rebuild)
LEFT_OUT_COLUMNS = ("person_key", "vendor_key", "vendor_key_l", "vendor_key_r", "run_id")
# each keyed entity's record -> key table and column: compared by cluster members instead
KEYED = {"person": (CROSSWALK, "person_key"), "vendor": (VENDOR_KEYS, "vendor_key")}
# history by design, which a rebuild from scratch cannot have: what each run did (the linkage
# models, one row per run: tonight holds two, the rebuild one; the vendor key change log: a
# night whose records merge or split kept keys logs it, a rebuild has no kept key to change),
# and the vendor key memory, which keeps the key of every firm ever seen, so that one a
# corrected file dropped gets its key back should it return (its firms still delivered are
# compared in ``integrated.vendor_keys``: ``KEYED``). People's log and memory are in ``pii``.
HISTORY = (
    "integrated.person_linkage_models",
    "integrated.vendor_linkage_models",
    "integrated.vendor_key_changes",
    ".".join(VENDOR_KEY_MEMORY),
)


@dataclass(frozen=True)
class Tonight:
    """The runs tonight's files caused, each from creation to end."""

    loads: list[RunSpan]
    nightly: DaemonLaunch

    @property
    def seconds(self) -> float | None:
        """The time some run of tonight's was under way, creation to end: the load runs overlap
        (the second one's process starts while the first one works), and an overlap is waited
        for once."""
        runs = [*self.loads, self.nightly.run]
        if any(r.ended is None for r in runs):
            return None
        covered, reached = 0.0, float("-inf")
        for created, ended in sorted((r.created, r.ended) for r in runs):
            covered += max(0.0, ended - max(created, reached))
            reached = max(reached, ended)
        return covered

    @property
    def ok(self) -> bool:
        runs = [*self.loads, self.nightly.run]
        return all(r.status == dg.DagsterRunStatus.SUCCESS.value for r in runs)


class NoNight(ValueError):
    """The extracts asked for cannot make a night: unknown, or with no file in landing."""


def arriving(landing: Path, extracts: Sequence[str] = ARRIVING) -> list[Delivery]:
    """The newest delivery of each of ``extracts`` (name order: quarters and years); an
    extract's only delivery makes a night on which its first file arrives, and no extract a
    quiet night (nothing arrives: what every night pays whatever arrives).

    ``NoNight`` for an extract no contract names or with no file in ``landing``."""
    newest = _newest(landing, extracts)
    missing = [name for name in extracts if name not in newest]
    if missing:
        raise NoNight(f"no file in {landing} for {', '.join(missing)}")
    return [newest[name] for name in dict.fromkeys(extracts)]


def _newest(
    landing: Path, extracts: Sequence[str], left_out: Collection[Path] = ()
) -> dict[str, Delivery]:
    """Each of ``extracts``' newest delivery in ``landing`` but those ``left_out`` (name order:
    quarters and years); ``NoNight`` for an extract no contract names."""
    known = {c.name for c in all_contracts()}
    unknown = sorted(set(extracts) - known)
    if unknown:
        raise NoNight(f"no contract names {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    newest = {}
    for delivery in deliveries(tuple(all_contracts()), landing):
        if delivery.contract.name in extracts and delivery.path not in left_out:
            newest[delivery.contract.name] = delivery  # name order: the last is the newest
    return newest


def hold_back(paths: BenchPaths, files: list[Delivery]) -> dict[Path, Path]:
    """Move tonight's files out of landing; returns landing path → where it waits."""
    held = {}
    for delivery in files:
        waiting = paths.root / "arriving" / delivery.path.relative_to(paths.landing)
        waiting.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(delivery.path, waiting)
        held[delivery.path] = waiting
    return held


def land(held: dict[Path, Path]) -> None:
    for landing_path, waiting in held.items():
        if waiting.exists():
            shutil.move(waiting, landing_path)


def corrected_deliveries(
    landing: Path, extracts: Sequence[str], arriving: Sequence[Delivery]
) -> list[Delivery]:
    """For each of ``extracts``, the delivery tonight corrects: its newest one that does not
    arrive tonight (one sent on an earlier night).

    ``NoNight`` for an extract with no such delivery, or delivered as workbooks (whose lines
    cannot be dropped as text)."""
    earlier = _newest(landing, extracts, left_out={d.path for d in arriving})
    missing = [name for name in extracts if name not in earlier]
    if missing:
        raise NoNight(f"no earlier file in {landing} to correct for {', '.join(missing)}")
    workbooks = [n for n in extracts if isinstance(earlier[n].contract.format, ExcelFormat)]
    if workbooks:
        raise NoNight(f"a workbook's lines cannot be dropped: {', '.join(workbooks)}")
    return [earlier[name] for name in dict.fromkeys(extracts)]


def correct(delivery: Delivery) -> int:
    """Rewrite ``delivery``'s file as its correction: one data line in ``CORRECTED_EVERY``
    dropped (a delimited file's title lines and header kept); returns the lines dropped."""
    form = delivery.contract.format
    head = form.skip_lines + 1 if isinstance(form, DelimitedFormat) else 0
    lines = delivery.path.read_bytes().splitlines(keepends=True)
    body = [line for i, line in enumerate(lines[head:]) if i % CORRECTED_EVERY != 1]
    delivery.path.write_bytes(b"".join(lines[:head] + body))
    return len(lines) - head - len(body)


@contextmanager
def corrections(paths: BenchPaths, fixes: Sequence[Delivery]) -> Iterator[dict[str, int]]:
    """Correct ``fixes`` in landing (file name → lines dropped) until the block ends, then put
    the sample's files back as they were."""
    folder = paths.root / "corrected"
    kept = {d.path: folder / d.path.relative_to(paths.landing) for d in fixes}
    for original, copy in kept.items():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(original, copy)
    try:
        yield {d.name: correct(d) for d in fixes}
    finally:
        for original, copy in kept.items():
            shutil.move(copy, original)
        shutil.rmtree(folder, ignore_errors=True)


def _sensor_loads(instance: dg.DagsterInstance, expected: int) -> list[RunSpan] | None:
    """The landing sensor's load runs once ``expected`` of them exist and all have ended."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"datalabs/trigger": SENSOR_TRIGGER}))
    if len(runs) < expected:
        return None
    spans = [run_span(instance, r.run_id) for r in runs]
    return spans if all(s.ended is not None for s in spans) else None


def tonight(paths: BenchPaths, expected_loads: int, timeout: float = 3600) -> Tonight:
    """Start the daemon, let its sensor load what landed, then launch what the nightly
    schedule's tick would launch (``nightly_request``)."""
    from datalabs_pipelines.definitions import defs  # the code location, as the daemon loads it

    env = {**os.environ, **paths.environment()}
    with running_daemon(env, paths.root / "daemon-sensor.log"), dg.DagsterInstance.get() as inst:
        loads = (
            wait_for(
                lambda: _sensor_loads(inst, expected_loads), timeout, "the landing sensor's loads"
            )
            if expected_loads
            else []
        )
        request = nightly_request(inst, defs.resolve_asset_graph(), list(all_contracts()))
    return Tonight(loads, launch_nightly(paths, timeout, request))


def integrated_sums(paths: BenchPaths) -> dict[str, str]:
    sums = table_checksums(paths.warehouse, COMPARED_SCHEMAS, LEFT_OUT_COLUMNS)
    return {table: digest for table, digest in sums.items() if table not in HISTORY}


def save_keys(paths: BenchPaths) -> dict[str, Path]:
    """Tonight's record → key of each keyed entity (no identifier), kept beside the sample
    until the rebuild's keys are compared with them."""
    saved = {}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for entity, (table, key) in KEYED.items():
            saved[entity] = paths.root / f"tonight-{entity}-keys.parquet"
            con.execute(
                f"COPY ({keys_sql(table, key)}) TO {literal(str(saved[entity]))} (FORMAT parquet)"
            )
    return saved


def clusters_differing(paths: BenchPaths, saved: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """For each keyed entity, how tonight's partition of its records differs from the
    rebuild's (compared by their members: person keys are random, and a kept key is not the
    one a rebuild derives)."""
    found = {}
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(paths.warehouse))} AS rebuilt (READ_ONLY)")
        for entity, (table, key) in KEYED.items():
            con.execute(
                "CREATE OR REPLACE TEMP TABLE tonight AS "
                f"FROM read_parquet({literal(str(saved[entity]))})"
            )
            con.execute(
                "CREATE OR REPLACE TEMP TABLE rebuild AS " + keys_sql(table, key, "rebuilt.")
            )
            found[entity] = differing(con, "tonight", "rebuild")
            saved[entity].unlink()
    return found


def keys_sql(table: tuple[str, str], key: str, catalog: str = "") -> str:
    """Each record of a keyed entity (``KEYED``) with its key, as ``differing`` reads them."""
    source = f"{catalog}{qualified(table)}"
    return f"SELECT source_extract, record_id, {identifier(key)} AS k FROM {source}"


def snapshot_sums() -> dict[str, str]:
    """The published snapshot's tables (the environment points at the benchmark's folders)."""
    published = get_settings().published_path
    return table_checksums(published) if published.exists() else {}


def run_incremental(
    scale: float,
    seed: int,
    progress: bool = True,
    extracts: Sequence[str] = ARRIVING,
    errors: str = DEFAULT_ERRORS,
    correcting: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything `datalabs bench --incremental` measures, as a JSON-ready dict (also written
    to ``data/bench/bench-<name>-incremental[-<extracts>][-correcting-<extracts>].json``):
    tonight, the newest file of each of ``extracts`` arrives (by default a wage quarter and a
    SNAP year) and an earlier file of each of ``correcting`` is corrected, in a sample with the
    ``errors`` profile."""
    paths = BenchPaths(scale, seed, errors=errors)
    generated = ensure_sample(paths, progress=progress)
    os.environ.update(paths.environment())
    files = arriving(paths.landing, extracts)
    fixes = corrected_deliveries(paths.landing, correcting, files)
    held = hold_back(paths, files)
    try:
        fresh_warehouse(paths)
        before = run_pipeline(paths, record_sql=False)
    finally:
        land(held)
    with corrections(paths, fixes) as dropped:
        history = paths.base / f"{paths.name}-published-before.json"
        history.unlink(missing_ok=True)
        if memory_path(paths.warehouse).exists():
            shutil.copy(memory_path(paths.warehouse), history)
        night = tonight(paths, expected_loads=len(held) + len(fixes))
        tonight_snapshot = snapshot_sums()
        tonight_integrated = integrated_sums(paths)
        tonight_keys = save_keys(paths)
        fresh_warehouse(paths)
        # the snapshot published before tonight's, which tonight's disclosure audit combined
        # with its own: the rebuild's publish takes it too, as in the same site
        if history.exists():
            shutil.move(history, memory_path(paths.warehouse))
        full: RunMeasurement = run_pipeline(paths, record_sql=False)
        full_snapshot = snapshot_sums()
        full_integrated = integrated_sums(paths)
        clusters = clusters_differing(paths, tonight_keys)
    report: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "errors": errors,
        "sample_generated_now": generated,
        "arriving": [str(d.path.relative_to(paths.landing)) for d in files],
        "corrected_lines_dropped": {
            str(d.path.relative_to(paths.landing)): dropped[d.name] for d in fixes
        },
        "nights_before_ok": before.returncode == 0,
        "tonight_ok": night.ok,
        "tonight_seconds": night.seconds,
        "tonight_load_seconds_each": [r.total_seconds for r in night.loads],
        "tonight_nightly_seconds": night.nightly.run.total_seconds,
        "tonight_nightly_waiting_seconds": night.nightly.run.waiting_seconds,
        "tonight_nightly_cpu_seconds": night.nightly.cpu_seconds,
        "tonight_peak_tree_rss_bytes": night.nightly.peak_tree_rss_bytes,
        "tonight_step_seconds": _slowest_first(
            {step: ended - started for step, started, ended in night.nightly.run.steps}
        ),
        "tonight_step_cpu_seconds": _slowest_first(night.nightly.step_cpu or {}),
        "full_ok": full.returncode == 0,
        "full_wall_seconds": full.wall_seconds,
        "full_cpu_seconds": full.cpu_seconds,
        "ratio_tonight_to_full": ratio(night.seconds or 0.0, full.wall_seconds),
        "snapshot_tables_compared": len(full_snapshot),
        "snapshot_tables_differing": differing_tables(tonight_snapshot, full_snapshot),
        "integrated_tables_compared": len(full_integrated),
        "integrated_tables_differing": differing_tables(tonight_integrated, full_integrated),
        "person_clusters_against_rebuild": clusters["person"],
        "vendor_clusters_against_rebuild": clusters["vendor"],
        "loads": [asdict(r) for r in night.loads],
    }
    named = "" if tuple(extracts) == ARRIVING else "-" + ("-".join(extracts) or "nothing")
    named += "-correcting-" + "-".join(correcting) if correcting else ""
    out = paths.base / f"bench-{paths.name}-incremental{named}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    return report


def _slowest_first(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}


NO_RECORDS = {"records": 0, "records_in_differing_clusters": 0, "by_extract": {}}


def _clusters(found: dict[str, Any]) -> str:
    by_extract = ", ".join(f"{k} {v:,}" for k, v in found["by_extract"].items())
    return f"{found['records_in_differing_clusters']:,} of {found['records']:,}" + (
        f" ({by_extract})" if by_extract else ""
    )


def _differing(report: dict[str, Any], layer: str) -> str:
    differing = report[f"{layer}_tables_differing"]
    listed = f" ({', '.join(differing)})" if differing else ""
    return f"{len(differing)} of {report[f'{layer}_tables_compared']}{listed}"


def format_incremental(report: dict[str, Any]) -> str:
    def seconds(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.1f} s"

    share = report["ratio_tonight_to_full"]
    loads = ", ".join(seconds(s) for s in report["tonight_load_seconds_each"]) or "none"
    return "\n".join(
        [
            f"datalabs bench --incremental  scale {report['scale']}  seed {report['seed']}"
            f"  errors {report.get('errors', DEFAULT_ERRORS)}",
            f"  arriving tonight: {', '.join(report['arriving']) or 'nothing'}",
            *(
                f"  corrected tonight: {name} ({lines:,} lines dropped)"
                for name, lines in report.get("corrected_lines_dropped", {}).items()
            ),
            "  tonight (sensor loads + nightly_job via the daemon): "
            f"{seconds(report['tonight_seconds'])} (loads {loads}, overlapping; nightly "
            f"{seconds(report['tonight_nightly_seconds'])})  ok={report['tonight_ok']}",
            f"  full `datalabs run` from scratch: {seconds(report['full_wall_seconds'])}"
            f"  ok={report['full_ok']}",
            f"  tonight / full: {'n/a' if share is None else f'{share:.0%}'}"
            " (goal at scale 100: at most 10 %)",
            f"  snapshot tables differing from the full rebuild: {_differing(report, 'snapshot')}",
            "  staging and integrated tables differing (person and vendor keys, run ids, run "
            f"logs left out): {_differing(report, 'integrated')}",
            "  person records in a cluster the rebuild draws differently (linkage, issue 20.2): "
            f"{_clusters(report['person_clusters_against_rebuild'])}",
            "  vendor records in a cluster the rebuild draws differently: "
            f"{_clusters(report.get('vendor_clusters_against_rebuild', NO_RECORDS))}",
            "  tonight's slowest steps: "
            + ", ".join(
                f"{k} {v:.1f} s" for k, v in list(report["tonight_step_seconds"].items())[:8]
            ),
        ]
    )


def main(
    scale: float,
    seed: int,
    progress: bool = True,
    extracts: Sequence[str] = ARRIVING,
    errors: str = DEFAULT_ERRORS,
    correcting: Sequence[str] = (),
) -> int:
    try:
        report = run_incremental(scale, seed, progress, extracts, errors, correcting)
    except NoNight as error:
        print(f"datalabs bench --incremental: {error}", file=sys.stderr)
        return 2
    print(format_incremental(report))
    ok = report["nights_before_ok"] and report["tonight_ok"] and report["full_ok"]
    return 0 if ok else 1
