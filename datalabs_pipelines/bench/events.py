"""What the Dagster instance recorded about a benchmark's runs: step times and metadata."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}
VALIDATION_KEY = "validation_seconds"
PAIRS_KEY = "pairs_compared"


@dataclass
class RunEvents:
    """Per step: seconds from STEP_START to STEP_SUCCESS/FAILURE; plus asset metadata."""

    steps: dict[str, float] = field(default_factory=dict)
    spans: list[tuple[str, float, float]] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    run_seconds: list[float] = field(default_factory=list)
    validation_seconds: float = 0.0
    pairs_compared: int | None = None


def run_step_spans(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of one run, from its step events."""
    records = instance.get_records_for_run(run_id, of_type=STEP_EVENTS).records
    return step_spans(
        (
            r.event_log_entry.step_key,
            "start"
            if r.event_log_entry.dagster_event_type == dg.DagsterEventType.STEP_START
            else "end",
            r.event_log_entry.timestamp,
        )
        for r in records
    )


def step_spans(events: Iterable[tuple[str, str, float]]) -> list[tuple[str, float, float]]:
    """(step key, "start" | "end", timestamp) → (step key, started, ended) of each execution."""
    started: dict[str, float] = {}
    spans = []
    for step, kind, timestamp in events:
        if kind == "start":
            started[step] = timestamp
        elif step in started:
            spans.append((step, started.pop(step), timestamp))
    return spans


def step_seconds(events: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """(step key, "start" | "end", timestamp) → step key → seconds (summed if run twice)."""
    seconds: dict[str, float] = {}
    for step, started, ended in step_spans(events):
        seconds[step] = seconds.get(step, 0.0) + ended - started
    return seconds


def layer_of(step_key: str) -> str:
    """``staging__ui_wages`` → ``staging``: step keys start with the layer."""
    return step_key.split("__", 1)[0]


def seconds_by_layer(steps: dict[str, float]) -> dict[str, float]:
    layers: dict[str, float] = {}
    for step, seconds in steps.items():
        layers[layer_of(step)] = layers.get(layer_of(step), 0.0) + seconds
    return layers


def read_run_events(instance: dg.DagsterInstance) -> RunEvents:
    """Every run in ``instance``: step timings, validation seconds, linkage pairs compared."""
    out = RunEvents()
    for run in instance.get_runs():
        stats = instance.get_run_stats(run.run_id)
        if stats.start_time and stats.end_time:
            out.run_seconds.append(stats.end_time - stats.start_time)
        records = instance.get_records_for_run(run.run_id, of_type=STEP_EVENTS).records
        marks = []
        for record in records:
            entry = record.event_log_entry
            kind = entry.dagster_event.event_type
            if kind == dg.DagsterEventType.STEP_FAILURE:
                out.failed_steps.append(entry.step_key)
            marks.append(
                (
                    entry.step_key,
                    "start" if kind == dg.DagsterEventType.STEP_START else "end",
                    entry.timestamp,
                )
            )
        out.steps.update(step_seconds(marks))
        out.spans.extend(step_spans(marks))
        materialized = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        for record in materialized:
            metadata = record.event_log_entry.asset_materialization.metadata
            if VALIDATION_KEY in metadata:
                out.validation_seconds += float(metadata[VALIDATION_KEY].value)
            if PAIRS_KEY in metadata:
                out.pairs_compared = (out.pairs_compared or 0) + int(metadata[PAIRS_KEY].value)
    return out
