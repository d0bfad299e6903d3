"""Pure parts of the harness: tree RSS, step timings, report formatting, paths."""

from __future__ import annotations

import os

from datalabs_pipelines.bench.events import layer_of, seconds_by_layer, step_seconds
from datalabs_pipelines.bench.report import format_report, markdown_row
from datalabs_pipelines.bench.rss import read_processes, tree_rss
from datalabs_pipelines.bench.workspace import MARKER, BenchPaths, sample_is_current, scale_label
from datalabs_pipelines.cli import ERROR_PROFILES
from datalabs_pipelines.generator.errors import PROFILES


def test_tree_rss_sums_a_process_and_its_descendants_only():
    table = {1: (0, 100), 10: (1, 5), 11: (10, 7), 12: (10, 11), 20: (1, 1000), 30: (99, 3)}
    assert tree_rss(table, 10) == 5 + 7 + 11
    assert tree_rss(table, 1) == 100 + 5 + 7 + 11 + 1000
    assert tree_rss(table, 42) == 0


def test_this_process_is_in_the_proc_table():
    table = read_processes()
    assert table[os.getpid()][0] == os.getppid()
    assert tree_rss(table, os.getpid()) > 0


def test_step_seconds_pairs_start_and_end():
    events = [
        ("raw__a", "start", 1.0),
        ("raw__b", "start", 1.5),
        ("raw__a", "end", 3.0),
        ("raw__b", "end", 2.0),
        ("staging__a", "end", 9.0),
    ]
    steps = step_seconds(events)
    assert steps == {"raw__a": 2.0, "raw__b": 0.5}
    assert seconds_by_layer({**steps, "staging__a": 4.0}) == {"raw": 2.5, "staging": 4.0}
    assert layer_of("marts__platform__extract_quality") == "marts"


def _report() -> dict:
    return {
        "scale": 1.0,
        "seed": 2026,
        "machine": {"cpus": 2, "load_before": 0.5},
        "wall_seconds": 30.0,
        "peak_tree_rss_bytes": 500 << 20,
        "input_rows": 100_000,
        "seconds_per_input_row": 3e-4,
        "sql": {"seconds": 10.0, "share_of_wall": 1 / 3, "statements": 1234},
        "validation_seconds": 4.0,
        "outside_sql": {"in_steps": 2.5, "outside_steps": 3.25, "by_step": {"staging__w": 1.75}},
        "bare_sql": {"seconds": 8.0, "failed": 0, "statements": 1234},
        "overhead_ratio": 3.75,
        "linkage_pairs_compared": None,
        "validation_comparison": {
            "table": "staging.w",
            "rows": 50_000,
            "ge_seconds": 0.5,
            "sql_seconds": 0.05,
            "ratio": 10.0,
            "counts_match": True,
        },
        "seconds_by_layer": {"raw": 10.0, "staging": 15.0},
        "step_seconds": {"raw__w": 6.0, "staging__w": 9.0},
        "rows_ingested": {"w": {"records_in_file": 10, "rows_loaded": 9, "rows_quarantined": 1}},
    }


def test_report_table_shows_the_measures():
    text = format_report(_report())
    assert "500 MiB" in text and "300.00" in text  # RSS and microseconds per row
    assert "linkage pairs compared" in text and "null" in text
    assert text.index("staging__w") < text.index("raw__w")  # heaviest first
    assert "2.50" in text and "3.25" in text and "1.75" in text  # time outside SQL
    assert markdown_row(_report()).startswith("| 1.0 | 100,000 | 30.0 | 500 MiB |")


def test_bench_paths_keep_scales_apart(tmp_path):
    ten = BenchPaths(10.0, base=tmp_path)
    assert ten.root == tmp_path / "scale-10" and ten.report == tmp_path / "bench-scale-10.json"
    assert BenchPaths(1, seed=7, base=tmp_path).name == "scale-1-seed-7"
    assert ten.environment()["DATALABS_LANDING_DIR"] == str(tmp_path / "scale-10" / "raw")
    assert scale_label(0.5) == "0.5"


def test_a_heavy_error_sample_has_its_own_folder_and_is_not_taken_for_the_default(tmp_path):
    heavy = BenchPaths(10, seed=7, base=tmp_path, errors="heavy")
    default = BenchPaths(10, seed=7, base=tmp_path)
    assert heavy.name == "scale-10-seed-7-heavy" and heavy.root != default.root
    # a default sample in the heavy folder (a marker from before profiles) is generated again
    default.landing.mkdir(parents=True)
    heavy.landing.mkdir(parents=True)
    for paths in (default, heavy):
        (paths.root / MARKER).write_text('{"scale": 10.0, "seed": 7}')
    assert sample_is_current(default) and not sample_is_current(heavy)
    (heavy.root / MARKER).write_text('{"scale": 10.0, "seed": 7, "errors": "heavy"}')
    assert sample_is_current(heavy)


def test_the_cli_offers_every_error_profile_the_generator_has():
    assert set(ERROR_PROFILES) == set(PROFILES)
