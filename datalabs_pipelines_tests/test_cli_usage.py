"""`datalabs` commands given a warehouse or snapshot that is not there, or a setting they cannot
use, say so in one line and exit 2: no traceback, and nothing created in its place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datalabs_pipelines.cli import main
from datalabs_pipelines.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["suppression"], "no published snapshot at"),
        (["evaluate"], "no warehouse at"),
        (["withdraw", "people_2025.txt"], "no warehouse at"),
        (["train-person-model", "--warehouse", "{missing}/w.duckdb"], "no warehouse at"),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_a_missing_warehouse_or_snapshot_is_named_and_not_created(
    command, what, isolated_env: Path, monkeypatch, capsys
):
    missing = isolated_env / "missing"
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(missing / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(missing))
    assert main([part.format(missing=missing) for part in command]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"datalabs {command[0]}: {what} {missing}"), err
    assert "Traceback" not in err and not missing.exists()


def test_an_unusable_disclosure_threshold_is_a_usage_error(isolated_env: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATALABS_DISCLOSURE_THRESHOLD", "ten")
    assert main(["suppression"]) == 2
    assert capsys.readouterr().err == (
        "datalabs suppression: DATALABS_DISCLOSURE_THRESHOLD must be a whole number from 1, "
        "not 'ten'\n"
    )


def test_generate_keeps_the_committed_sample_folder_for_the_committed_sample(monkeypatch, capsys):
    """`generate --through today` with no `--out` would have overwritten the committed sample
    (``data/``, the default): refused before anything is written."""
    from datalabs_pipelines.generator import main as generator

    monkeypatch.setattr(generator, "generate", pytest.fail)
    data = PROJECT_ROOT / "data"
    assert main(["generate", "--through", "today", "--out", str(data)]) == 2
    assert f"{data} holds the committed sample" in capsys.readouterr().err
    assert main(["generate", "--seed", "7", "--errors", "heavy", "--out", str(data)]) == 2
    assert "with --seed, --errors of its own goes elsewhere" in capsys.readouterr().err


def test_run_ui_and_withdraw_default_dagster_home_as_the_makefile_does(tmp_path: Path, monkeypatch):
    """Dagster refuses to start without DAGSTER_HOME; the README gives ``data/dagster_home``
    as its default, which only the Makefile set: the command line sets it too, with the
    project's ``dagster.yaml``, and leaves one already set alone."""
    from datalabs_pipelines import cli, settings

    (tmp_path / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    cli._dagster_home()
    home = tmp_path / "data" / "dagster_home"
    assert os.environ["DAGSTER_HOME"] == str(home)
    assert (home / "dagster.yaml").read_text() == "telemetry: {enabled: false}\n"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "mine"))
    cli._dagster_home()
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "mine")
