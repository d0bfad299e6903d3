"""The benchmark report: a JSON-ready dict and the readable table printed from it."""

from __future__ import annotations

from typing import Any

GIB = 1 << 30
MIB = 1 << 20


def per_row(seconds: float, rows: int) -> float | None:
    return seconds / rows if rows else None


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _bytes(value: int | None) -> str:
    if value is None:
        return "null"
    return f"{value / GIB:.2f} GiB" if value >= GIB else f"{value / MIB:.0f} MiB"


def format_report(report: dict[str, Any], heavy: int = 8) -> str:
    """Readable summary of a ``bench`` report (the JSON keeps everything)."""
    sql, bare, val = report["sql"], report["bare_sql"], report.get("validation_comparison")
    outside = report.get("outside_sql") or {}
    machine = report["machine"]
    lines = [
        f"datalabs bench  scale {report['scale']}  seed {report['seed']}  "
        f"({report['machine']['cpus']} CPUs)",
        "",
        f"{'wall seconds (fastest run)':<34}{_num(report['wall_seconds'], 1):>14}"
        f"  (CPU {_num(report.get('cpu_seconds'), 1)} s; runs "
        f"{', '.join(f'{w:.1f}' for w in report.get('wall_seconds_each') or [])} s; load "
        f"{machine['load_before']:.1f} before, {machine.get('load_after', 0.0):.1f} after)",
        f"{'peak RSS, whole process tree':<34}{_bytes(report['peak_tree_rss_bytes']):>14}",
        f"{'input rows':<34}{_num(report['input_rows']):>14}",
        f"{'microseconds per input row':<34}{_num(_micro(report['seconds_per_input_row'])):>14}",
        f"{'seconds inside SQL':<34}{_num(sql['seconds']):>14}"
        f"  ({_percent(sql['share_of_wall'])} of wall, {sql['statements']:,} statements)",
        f"{'  not SQL, inside steps':<34}{_num(outside.get('in_steps')):>14}"
        "  (Dagster's step events, GE's Python, ours)",
        f"{'  not SQL, outside steps':<34}{_num(outside.get('outside_steps')):>14}"
        "  (start-up, creating runs, between steps)",
        f"{'seconds validating (GE)':<34}{_num(report['validation_seconds']):>14}",
        f"{'bare SQL replay seconds (fastest)':<34}{_num(bare['seconds']):>14}"
        f"  ({bare['failed']} of {bare['statements']:,} statements failed)",
        f"{'overhead ratio (wall / bare SQL)':<34}{_num(report['overhead_ratio']):>14}",
        f"{'linkage pairs compared':<34}{_num(report['linkage_pairs_compared']):>14}",
    ]
    if val:
        lines.append(
            f"{'GE / hand-written SQL (largest)':<34}{_num(val['ratio']):>14}"
            f"  ({val['table']}, {val['rows']:,} rows: GE {val['ge_seconds']:.2f} s, "
            f"SQL {val['sql_seconds']:.3f} s, counts match: {val['counts_match']})"
        )
    lines += _daemon_lines(report.get("daemon"))
    lines += ["", f"{'layer':<34}{'seconds':>14}"]
    lines += [f"{k:<34}{_num(v):>14}" for k, v in report["seconds_by_layer"].items()]
    lines += ["", f"{'heaviest steps':<34}{'seconds':>14}"]
    steps = sorted(report["step_seconds"].items(), key=lambda kv: -kv[1])[:heavy]
    lines += [f"{k:<34}{_num(v):>14}" for k, v in steps]
    lines += ["", f"{'most time outside SQL, by step':<34}{'seconds':>14}"]
    lines += [f"{k:<34}{_num(v):>14}" for k, v in list(outside.get("by_step", {}).items())[:heavy]]
    lines += ["", f"{'extract':<26}{'records':>12}{'loaded':>12}{'quarantined':>12}"]
    for name, r in report["rows_ingested"].items():
        lines.append(
            f"{name:<26}{r['records_in_file']:>12,}{r['rows_loaded']:>12,}"
            f"{r['rows_quarantined']:>12,}"
        )
    return "\n".join(lines)


def _daemon_lines(daemon: dict[str, Any] | None, heavy: int = 5) -> list[str]:
    """nightly_job through the daemon next to the same job inside `datalabs run`."""
    if not daemon:
        return []
    if "ratio_fastest" not in daemon:
        return ["", f"nightly_job via daemon: {', '.join(daemon['daemon_status_each'])} (no ratio)"]
    each = ", ".join(
        f"{a:.1f} / {b:.1f}"
        for a, b in zip(
            daemon["daemon_nightly_seconds_each"],
            daemon["make_run_nightly_seconds_each"],
            strict=True,
        )
    )
    lines = [
        "",
        f"{'nightly_job via daemon / make run':<34}{_num(daemon['ratio_fastest']):>14}"
        f"  (wall, fastest of each; run creation to end, s, daemon / make run: {each})",
    ]
    if "cpu_ratio_lowest" in daemon:
        cpu = ", ".join(
            f"{a:.1f} / {b:.1f} (in steps {c:.1f} / {d:.1f})"
            for a, b, c, d in zip(
                daemon["daemon_cpu_seconds_each"],
                daemon["make_run_nightly_cpu_seconds_each"],
                daemon["daemon_step_cpu_seconds_each"],
                daemon["make_run_nightly_step_cpu_seconds_each"],
                strict=True,
            )
        )
        lines.append(
            f"{'  the same in CPU':<34}{_num(daemon['cpu_ratio_lowest']):>14}"
            f"  (lowest of each; CPU s over the same spans, daemon / make run: {cpu})"
        )
    roles = (daemon.get("daemon_cpu_by_process_each") or [None])[0] or {}
    lines.append(
        f"{'  daemon: queue, launch, imports':<34}"
        f"{_num(min(daemon['daemon_waiting_seconds_each'])):>14}"
        f"  (CPU by process, s: "
        + (
            ", ".join(f"{k} {v:.1f}" for k, v in sorted(roles.items(), key=lambda kv: -kv[1]))
            or "n/a"
        )
        + f"; peak RSS {_bytes(daemon['daemon_peak_tree_rss_bytes'])}; "
        f"{', '.join(daemon['daemon_status_each'])})"
    )
    steps = (daemon.get("step_cpu_each") or [None])[0]
    if steps:
        extra = {k: v - steps["make_run"].get(k, 0.0) for k, v in steps["daemon"].items()}
        worst = sorted(extra.items(), key=lambda kv: -abs(kv[1]))[:heavy]
        lines.append(
            f"{'  step CPU, daemon - make run':<34}{'':>14}  "
            + ", ".join(f"{k} {v:+.1f}" for k, v in worst)
        )
    return lines


def _micro(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def markdown_row(report: dict[str, Any]) -> str:
    """One row of the README's performance table."""
    val = report.get("validation_comparison") or {}
    return (
        f"| {report['scale']} | {report['input_rows']:,} | {report['wall_seconds']:.1f} | "
        f"{_bytes(report['peak_tree_rss_bytes'])} | "
        f"{_num(_micro(report['seconds_per_input_row']), 1)} | "
        f"{report['sql']['seconds']:.1f} | {report['validation_seconds']:.1f} | "
        f"{report['bare_sql']['seconds']:.1f} | {_num(report['overhead_ratio'])} | "
        f"{_num(val.get('ratio'))} |"
    )
