"""A run's output still reaches both the terminal and its captured log, without `tail`."""

from __future__ import annotations

import subprocess

import dagster as dg

from datalabs_pipelines.automation.log_mirror import mirror_in_thread


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
        print("to stderr", file=__import__("sys").stderr)

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([noisy], instance=instance)
        assert result.success
        log_files = {p.suffix: p.read_text() for p in tmp_path.rglob("compute_logs/*.*")}
    terminal = capfd.readouterr()
    assert "to stdout " + "x" * 70_000 in terminal.out
    assert "to stderr" in terminal.err
    assert "to stdout" in log_files[".out"] and "to stderr" in log_files[".err"]
    assert not [cmd for cmd in started if "tail" in str(cmd) or "watch_orphans" in str(cmd)]
