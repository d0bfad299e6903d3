"""A run's output still reaches both the terminal and its captured log, without `tail`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import dagster as dg

from datalabs_pipelines.automation.log_mirror import _copy_until_done, mirror_in_thread


def test_run_output_is_captured_and_mirrored_without_subprocesses(tmp_path, capfd, monkeypatch):
    mirror_in_thread()
    started = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(
        subprocess, "Popen", lambda *a, **k: started.append(a[0]) or real_popen(*a, **k)
    )

    @dg.asset
    def noisy() -> None:
        print("to stdout " + "x" * 70_000)  # longer than one read of the mirror
        print("to stderr", file=sys.stderr)

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([noisy], instance=instance)
        assert result.success
        log_files = {p.suffix: p.read_text() for p in tmp_path.rglob("compute_logs/*.*")}
    terminal = capfd.readouterr()
    assert "to stdout " + "x" * 70_000 in terminal.out
    assert "to stderr" in terminal.err
    assert "to stdout" in log_files[".out"] and "to stderr" in log_files[".err"]
    assert not [cmd for cmd in started if "tail" in str(cmd) or "watch_orphans" in str(cmd)]


def test_a_closed_terminal_stops_the_mirror_not_the_capture(tmp_path):
    """`make run | head`: the reader goes away; the copy stops quietly, the file is whole."""
    captured = tmp_path / "run.out"
    captured.write_text("line\n" * 10)
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: writing raises BrokenPipeError
    done = threading.Event()
    done.set()
    _copy_until_done(str(captured), write_end, done)  # returns instead of raising
    os.close(write_end)
    assert captured.read_text() == "line\n" * 10
