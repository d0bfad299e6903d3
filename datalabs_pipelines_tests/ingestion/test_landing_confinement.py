"""A confined landing: partition keys are plain names of regular files in their extract's
folder; symbolic links (to a file or a folder) are rejected unread, with the reason."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.landing import deliveries, delivery_path
from datalabs_pipelines.settings import get_settings

SECRET = "ab12" * 16  # stands for the linkage key a link could point at


@pytest.fixture
def landing(tmp_path, people_contract):
    folder = tmp_path / "landing" / "test_agency" / "people"
    folder.mkdir(parents=True)
    (folder / "people_ok.txt").write_text("PERSON_ID\n1\n")
    (tmp_path / "linkage.key").write_text(SECRET)
    return tmp_path / "landing"


@pytest.mark.parametrize("key", ["../people_x.txt", "/etc/passwd", "a/b.txt", "..", "", "x\0y"])
def test_a_key_that_is_not_a_plain_file_name_is_rejected(landing, people_contract, key):
    with pytest.raises(DeliveryRejected, match="not a plain file name"):
        delivery_path(people_contract, landing, key)


def test_a_regular_file_resolves_inside_its_folder(landing, people_contract):
    path = delivery_path(people_contract, landing, "people_ok.txt")
    assert path == landing / "test_agency" / "people" / "people_ok.txt"


def test_a_symbolic_link_is_listed_then_rejected_unread(landing, people_contract, tmp_path):
    link = landing / "test_agency" / "people" / "people_key.txt"
    link.symlink_to(tmp_path / "linkage.key")
    listed = [d.name for d in deliveries((people_contract,), landing)]
    assert "people_key.txt" in listed  # seen, so that its rejection shows
    with pytest.raises(DeliveryRejected, match="symbolic link") as caught:
        delivery_path(people_contract, landing, "people_key.txt")
    assert SECRET not in str(caught.value)


def test_a_hard_link_to_the_key_file_is_rejected_unread(landing, people_contract, monkeypatch):
    key_file = landing.parent / "linkage.key"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(key_file))
    (landing / "test_agency" / "people" / "people_key.txt").hardlink_to(key_file)
    with pytest.raises(DeliveryRejected, match="linkage key file") as caught:
        delivery_path(people_contract, landing, "people_key.txt")
    assert SECRET not in str(caught.value)
    assert delivery_path(people_contract, landing, "people_ok.txt").name == "people_ok.txt"


def test_a_folder_reached_through_a_link_is_rejected(tmp_path, people_contract):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "people_x.txt").write_text("PERSON_ID\n1\n")
    (tmp_path / "landing" / "test_agency").mkdir(parents=True)
    (tmp_path / "landing" / "test_agency" / "people").symlink_to(real, target_is_directory=True)
    with pytest.raises(DeliveryRejected, match="symbolic link"):
        delivery_path(people_contract, tmp_path / "landing", "people_x.txt")


def test_the_load_rejects_a_link_to_the_key_and_never_prints_the_key(isolated_env, capfd):
    folder = get_settings().landing_dir / "test_agency" / "people"
    (isolated_env / "linkage.key").write_text(SECRET)
    (folder / "people_key.txt").symlink_to(isolated_env / "linkage.key")
    contracts = list(all_contracts())
    defs = build_definitions(contracts)
    job = defs.resolve_job_def("load_people")
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("people_deliveries", ["people_key.txt", "../x.txt"])
        for key in ("people_key.txt", "../x.txt"):
            result = job.execute_in_process(
                instance=instance, partition_key=key, raise_on_error=False
            )
            assert not result.success
        events = [
            dg.serialize_value(e) for r in instance.get_runs() for e in instance.all_logs(r.run_id)
        ]
    out, err = capfd.readouterr()
    assert SECRET not in out + err + "".join(events)
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        rows = con.execute(
            "SELECT delivery, rule FROM raw.people_rejected_deliveries ORDER BY 1"
        ).fetchall()
    assert rows == [("../x.txt", "confined landing"), ("people_key.txt", "confined landing")]


def test_a_dangling_link_is_listed_and_rejected(landing, people_contract, tmp_path):
    (landing / "test_agency" / "people" / "people_gone.txt").symlink_to(tmp_path / "missing")
    (gone,) = [d for d in deliveries((people_contract,), landing) if d.name == "people_gone.txt"]
    assert gone.version  # the link's own times: no error for a missing target
    with pytest.raises(DeliveryRejected, match="symbolic link"):
        delivery_path(people_contract, landing, "people_gone.txt")
