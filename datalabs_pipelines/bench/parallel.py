"""`datalabs bench --parallel N --backend B`: the nightly graph on N concurrent step processes.

The sample is loaded with `datalabs run` (a child process); then ``nightly_job``'s selection
runs again under Dagster's multiprocess executor (``max_concurrent`` N) in a child process
while this one samples the CPU of that child's process tree every ``SAMPLE_SECONDS``. Embedded,
the ``duckdb`` pool still serializes the steps; on DuckLake each step has a pool of its own and
independent steps run at once. Each sample interval's CPU goes to the steps running then
(shared equally when several were): exact with N=1, an approximation above. From CPU per step
and the graph's edges the report states the critical path (the longest chain of step CPU) and
what ``CORES`` cores could at best give: max(total step CPU / cores, critical path); again with
each step charged its share of the CPU outside steps (its process's start and imports).
On DuckLake, when the catalog's PostgreSQL runs on this machine, its server's process tree is
sampled too (the lake's catalog CPU, per step as above); with the embedded report of the same
scale at hand, each step's CPU is set against its embedded CPU: the lake's cost per step.
Stopped (SIGINT or SIGTERM) during a nightly, the bench ends that run's process session and
still reports the CPU of the steps that finished (a run too long for the time at hand).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from datalabs_pipelines.automation.schedules import downstream_of_raw
from datalabs_pipelines.bench.child import RUN, run_pipeline
from datalabs_pipelines.bench.daemon import tree_cpu_seconds
from datalabs_pipelines.bench.events import run_step_spans
from datalabs_pipelines.bench.workspace import (
    DEFAULT_ERRORS,
    BenchPaths,
    ensure_sample,
    fresh_warehouse,
)
from datalabs_pipelines.deploy.lake import CATALOG_VARIABLE

SAMPLE_SECONDS = 0.5
CORES = 16
JOB = "nightly_multiprocess"
BACKEND_ENV = {"embedded": "duckdb", "ducklake": "ducklake"}


def nightly_multiprocess() -> dg.JobDefinition:
    """``nightly_job``'s selection under the multiprocess executor (reconstructable)."""
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.definitions import build_definitions

    contracts = list(all_contracts())
    job = dg.define_asset_job(
        JOB, selection=downstream_of_raw(contracts), executor_def=dg.multiprocess_executor
    )
    defs = dg.Definitions.merge(build_definitions(contracts), dg.Definitions(jobs=[job]))
    return defs.resolve_job_def(JOB)


def step_dependencies() -> dict[str, set[str]]:
    """Step (op) name → the steps whose assets it reads, from the asset definitions."""
    from datalabs_pipelines.definitions import build_definitions

    assets = [a for a in build_definitions().assets if isinstance(a, dg.AssetsDefinition)]
    op_of = {key: a.op.name for a in assets if a.is_executable for key in a.keys}
    deps: dict[str, set[str]] = {}
    for a in assets:
        if a.is_executable:
            upstream = {op_of[k] for k in a.dependency_keys if k in op_of} - {a.op.name}
            deps.setdefault(a.op.name, set()).update(upstream)
    return deps


def critical_path(cost: Mapping[str, float], deps: Mapping[str, set[str]]) -> list[str]:
    """The chain of steps (upstream first) whose summed ``cost`` is largest; edges to steps
    without a cost (not in this run) are ignored."""
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(step: str) -> tuple[float, list[str]]:
        if step not in best:
            chains = [longest(d) for d in deps.get(step, ()) if d in cost]
            total, chain = max(chains, default=(0.0, []), key=lambda c: c[0])
            best[step] = (total + cost[step], [*chain, step])
        return best[step]

    return max((longest(s) for s in cost), default=(0.0, []), key=lambda c: c[0])[1]


@dataclass(frozen=True)
class BackendPaths(BenchPaths):
    """One backend's warehouse, instance, snapshot and logs, in a folder of their own under the
    benchmark's (so both backends can be measured at once), reading its shared deliveries."""

    backend: str = "embedded"

    @property
    def root(self) -> Path:
        return super().root / f"parallel-{self.backend}"

    @property
    def landing(self) -> Path:
        return super().root / "raw"


@dataclass(frozen=True)
class Estimate:
    total_step_cpu: float
    critical_path_cpu: float
    critical_path: list[str]
    cores: int
    bound_seconds: float  # max(total / cores, critical path): no schedule does better
    speedup_bound: float  # total / bound, against one core doing every step


def estimate(cost: Mapping[str, float], deps: Mapping[str, set[str]], cores: int) -> Estimate:
    chain = critical_path(cost, deps)
    total = sum(cost.values())
    longest = sum(cost[s] for s in chain)
    bound = max(total / cores, longest)
    return Estimate(total, longest, chain, cores, bound, total / bound if bound else 1.0)


def cpu_by_step(
    samples: list[tuple[float, float]], spans: list[tuple[str, float, float]]
) -> tuple[dict[str, float], float]:
    """Sampled (time, tree CPU) → CPU per step, shared equally among the steps running at an
    interval's midpoint; and the CPU outside every step (start-up, imports, between steps)."""
    steps: dict[str, float] = {step: 0.0 for step, _, _ in spans}
    outside = 0.0
    for (t0, c0), (t1, c1) in zip(samples, samples[1:], strict=False):
        middle = (t0 + t1) / 2
        running = [step for step, start, end in spans if start <= middle < end]
        for step in running:
            steps[step] += (c1 - c0) / len(running)
        if not running:
            outside += c1 - c0
    return steps, outside


def catalog_server_pid(dsn: str, proc: Path = Path("/proc")) -> int | None:
    """The lake catalog's PostgreSQL server (postmaster) when it runs on this machine: the
    parent of the backend serving a connection; None when it is elsewhere or unreachable."""
    import psycopg2

    try:
        connection = psycopg2.connect(dsn)
    except psycopg2.Error:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        return _parent_if_postgres(backend, proc)  # while the backend is still there
    finally:
        connection.close()


def _parent_if_postgres(pid: int, proc: Path) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        names = [(proc / str(p) / "comm").read_text().strip() for p in (pid, parent)]
    except (OSError, ValueError):
        return None
    return parent if all(n.startswith("postgres") for n in names) else None


def _sample(
    roots: Mapping[str, int], until: threading.Event, into: dict[str, list[tuple[float, float]]]
) -> None:
    while not until.is_set():
        now = time.time()
        for name, pid in roots.items():
            cpu, series = tree_cpu_seconds(pid), into.setdefault(name, [])
            if not series or cpu >= series[-1][1]:  # an ended tree reads as nothing
                series.append((now, cpu))
        until.wait(SAMPLE_SECONDS)


def wait_or_stop(child: subprocess.Popen) -> bool:
    """Wait for ``child``, started in a session of its own; True when the wait was
    interrupted (KeyboardInterrupt) and the child's whole session (its step processes too)
    was killed instead."""
    try:
        child.wait()
        return False
    except KeyboardInterrupt:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        return True


def run_nightly(
    env: dict[str, str], concurrency: int, log: Path, postgres: int | None = None
) -> dict:
    """The multiprocess nightly in a child process; its spans, CPU per step and wall time,
    and, given the catalog server's pid, that server's CPU in all and per step. Stopped, the
    steps that finished keep their CPU; the unfinished step's counts outside steps."""
    samples: dict[str, list[tuple[float, float]]] = {}
    done = threading.Event()
    load_before = os.getloadavg()
    started = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(concurrency)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that a stop ends its step processes with it
        )
        roots = {"run": child.pid, **({"postgres": postgres} if postgres else {})}
        sampler = threading.Thread(target=_sample, args=(roots, done, samples))
        sampler.start()
        try:
            stopped = wait_or_stop(child)
        finally:
            done.set()
            sampler.join()
        returncode = child.returncode
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with dg.DagsterInstance.get() as instance:
        run_id = instance.get_runs(filters=dg.RunsFilter(job_name=JOB), limit=1)[0].run_id
        spans = run_step_spans(instance, run_id)
        status = instance.get_run_by_id(run_id).status.value
    steps, outside = cpu_by_step(samples["run"], spans)
    server = samples.get("postgres", [])
    result = {
        "concurrency": concurrency,
        "load_average": [load_before[0], os.getloadavg()[0]],  # 1-minute, at start and end
        "status": "STOPPED"
        if stopped
        else status
        if returncode == 0
        else f"{status} (exit {returncode})",
        "steps_finished": len(spans),
        "wall_seconds": wall,
        "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "cpu_outside_steps": outside,
        "step_cpu_seconds": steps,
        "step_wall_seconds": {s: e - b for s, b, e in spans},
        "most_steps_at_once": max(
            (sum(b <= t < e for _, b, e in spans) for _, t, _ in spans), default=0
        ),
    }
    if server:
        result["postgres_cpu_seconds"] = server[-1][1] - server[0][1]
        result["postgres_step_cpu_seconds"] = cpu_by_step(server, spans)[0]
    return result


def lake_cost(embedded: dict, lake: dict) -> dict[str, dict[str, float]]:
    """Per step of two runs with the same N: embedded CPU, DuckLake CPU, their difference, and
    the catalog server's CPU while the step ran (0 when it was not sampled)."""
    server = lake.get("postgres_step_cpu_seconds", {})
    return {
        step: {
            "embedded": embedded["step_cpu_seconds"].get(step, 0.0),
            "ducklake": cpu,
            "difference": cpu - embedded["step_cpu_seconds"].get(step, 0.0),
            "postgres": server.get(step, 0.0),
        }
        for step, cpu in lake["step_cpu_seconds"].items()
    }


LOADS_ONLY = ("-m", "datalabs_pipelines.bench.loads_child")


def bench_parallel(
    scale: float,
    seed: int,
    backend: str,
    workers: list[int],
    out: Path,
    loads_only: bool = False,
    errors: str = DEFAULT_ERRORS,
) -> dict:
    """Load once with `datalabs run` (or, ``loads_only``, the load jobs alone), then the
    multiprocess nightly once per worker count; the report is written to ``out`` after each,
    so a bench stopped early keeps what it measured."""
    ensure_sample(BenchPaths(scale, seed, errors=errors), progress=False)
    paths = BackendPaths(scale, seed, errors=errors, backend=backend)
    fresh_warehouse(paths)
    env = {
        **os.environ,
        **paths.environment(),
        "DATALABS_WAREHOUSE_BACKEND": BACKEND_ENV[backend],
    }
    for name in ("DATALABS_SQL_LOG", "DATALABS_CONNECTION_HOOK"):
        env.pop(name, None)
    os.environ.update(env)  # run_pipeline passes os.environ on
    load = run_pipeline(paths, record_sql=False, argv=LOADS_ONLY if loads_only else RUN)
    if load.returncode != 0:
        raise RuntimeError(f"the load failed: see {paths.run_log}")
    deps = step_dependencies()
    server = catalog_server_pid(env[CATALOG_VARIABLE]) if backend == "ducklake" else None
    report = {
        "scale": scale,
        "backend": backend,
        "cpu_count": os.cpu_count(),
        "load_run": {
            "wall_seconds": load.wall_seconds,
            "cpu_seconds": load.cpu_seconds,
            "loads_only": loads_only,
        },
        "runs": [],
    }
    for n in workers:
        result = run_nightly(env, n, paths.root / f"parallel-{backend}-{n}.log", server)
        if result["status"] == "STOPPED":  # finished steps only: no estimate, no further N
            report["runs"].append(result)
            out.write_text(json.dumps(report, indent=2))
            break
        steps = result["step_cpu_seconds"]
        result["estimate"] = asdict(estimate(steps, deps, CORES))
        # each step's share of the CPU outside steps: its process start, imports, the executor
        start = result["cpu_outside_steps"] / len(steps) if steps else 0.0
        with_starts = {step: cpu + start for step, cpu in steps.items()}
        result["estimate_with_starts"] = asdict(estimate(with_starts, deps, CORES))
        report["runs"].append(result)
        out.write_text(json.dumps(report, indent=2))
    return report


def format_parallel(report: dict) -> str:
    lines = [
        f"scale {report['scale']}, {report['backend']}, {report['cpu_count']} CPUs; loading "
        f"{'(load jobs only)' if report['load_run'].get('loads_only') else '`datalabs run`'} "
        f"{report['load_run']['wall_seconds']:.0f} s wall, "
        f"{report['load_run']['cpu_seconds']:.0f} s CPU",
        f"{'N':>3} {'status':>8} {'load':>9} {'wall s':>7} {'CPU s':>7} {'in steps':>8} "
        f"{'PG CPU s':>8} {'at once':>7} {'crit. path s':>12} {CORES}-core bound s  speed-up"
        "  (with starts)",
    ]
    for r in report["runs"]:
        if "estimate" not in r:
            lines.append(
                f"{r['concurrency']:>3} stopped after {r['steps_finished']} steps, "
                f"{r['wall_seconds']:.0f} s wall, {r['cpu_seconds']:.0f} s CPU "
                f"({sum(r['step_cpu_seconds'].values()):.0f} s in finished steps)"
            )
            continue
        e = r["estimate"]
        load = "{:.1f}-{:.1f}".format(*r["load_average"])
        server = r.get("postgres_cpu_seconds")
        lines.append(
            f"{r['concurrency']:>3} {r['status']:>8} {load:>9} {r['wall_seconds']:>7.1f} "
            f"{r['cpu_seconds']:>7.1f} {e['total_step_cpu']:>8.1f} "
            f"{'-' if server is None else f'{server:.1f}':>8} {r['most_steps_at_once']:>7} "
            f"{e['critical_path_cpu']:>12.1f} {e['bound_seconds']:>15.1f} "
            f"{e['speedup_bound']:>8.2f}  ({r['estimate_with_starts']['bound_seconds']:.1f} s, "
            f"{r['estimate_with_starts']['speedup_bound']:.2f})"
        )
    finished = [r["estimate"] for r in report["runs"] if "estimate" in r]
    if finished:
        lines.append("critical path: " + " → ".join(finished[-1]["critical_path"]))
    return "\n".join(lines)


def format_lake_cost(concurrency: int, cost: dict[str, dict[str, float]], top: int = 8) -> str:
    """The totals and the ``top`` steps the lake costs most, for one N."""
    total = {k: sum(c[k] for c in cost.values()) for k in ("embedded", "ducklake", "postgres")}
    lines = [
        f"lake's cost, N={concurrency}: step CPU {total['ducklake']:.1f} s on DuckLake against "
        f"{total['embedded']:.1f} s embedded; the catalog's PostgreSQL {total['postgres']:.1f} s",
        f"{'step':44} {'embedded':>9} {'ducklake':>9} {'diff':>7} {'postgres':>9}",
    ]
    worst = sorted(cost.items(), key=lambda kv: kv[1]["difference"], reverse=True)[:top]
    for step, c in worst:
        lines.append(
            f"{step[:44]:44} {c['embedded']:>9.1f} {c['ducklake']:>9.1f} "
            f"{c['difference']:>7.1f} {c['postgres']:>9.1f}"
        )
    return "\n".join(lines)


def path_of(paths: BenchPaths, backend: str) -> Path:
    return paths.base / f"bench-parallel-{paths.name}-{backend}.json"


def main(
    scale: float,
    seed: int,
    backend: str,
    workers: list[int],
    loads_only: bool = False,
    errors: str = DEFAULT_ERRORS,
) -> int:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a stop by kill, as by Ctrl-C
    paths = BenchPaths(scale, seed, errors=errors)
    out = path_of(paths, backend)
    report = bench_parallel(scale, seed, backend, workers, out, loads_only, errors)
    print(format_parallel(report))
    embedded = path_of(paths, "embedded")
    if backend == "ducklake" and embedded.is_file():
        by_n = {r["concurrency"]: r for r in json.loads(embedded.read_text())["runs"]}
        report["lake_cost"] = {
            r["concurrency"]: lake_cost(by_n[r["concurrency"]], r)
            for r in report["runs"]
            if r["concurrency"] in by_n and "estimate" in by_n[r["concurrency"]]
        }
        for n, cost in report["lake_cost"].items():
            print(format_lake_cost(n, cost))
        out.write_text(json.dumps(report, indent=2))
    print(f"written: {out}")
    return 0 if all(r["status"] == "SUCCESS" for r in report["runs"]) else 1


def _child(concurrency: int) -> int:
    from datalabs_pipelines.bench import parallel

    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            dg.reconstructable(parallel.nightly_multiprocess),
            instance=instance,
            run_config={"execution": {"config": {"max_concurrent": concurrency}}},
            tags={"datalabs/trigger": "bench-parallel"},
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1])))
