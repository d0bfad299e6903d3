"""No value from a delivered line reaches any message, log, metadata entry or ledger row.

Files whose fields are canary strings go through every error path (no header, a duplicated
header, a wrong field count, undecodable bytes, a byte-order mark, bad types, a value out of
range, a duplicated key, malformed JSON, a symbolic link to the key file), through the pipeline
(with the SQL recorder on) and through ``validate-extract``. Then stdout, stderr, the Dagster
home (event log and compute logs), the event records, the SQL log folder, every table outside
``pii`` and the published snapshot are searched for the canaries and the linkage key.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines import cli
from datalabs_pipelines.automation.local_run import materialize_everything
from datalabs_pipelines.bench.sqllog import HOOK
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.privacy_tokens import hmac_pads, linkage_key
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import HOOK_ENV

pytestmark = pytest.mark.slow

HEADER = "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT"
# Never loaded anywhere outside pii: rejected files, quarantined lines, identifiers, headers.
HIDDEN = [f"CNRY{n:03d}" for n in range(1, 40)]
# Loaded as delivered into raw and staging (open columns that fail a check): they may sit in
# those data tables, but in no message, log, metadata entry or ledger row.
LOADED = ["CNRYPIDX", "CNRYBENX", "987654", "987,654", "4444321", "CNRYSITE", "CNRYVIDX"]


def _fields(first: int, n: int = 9) -> str:
    return "|".join(HIDDEN[first : first + n])


def deliver(landing: Path, key_file: Path) -> list[Path]:
    """Write the canary deliveries over the fixture's; return the people files."""
    people, visits = landing / "test_agency" / "people", landing / "test_agency" / "visits"
    for old in [*people.iterdir(), *visits.iterdir()]:
        old.unlink()
    files = {
        "people_a_headerless.txt": f"{_fields(0)}\n{_fields(9)}\n",
        "people_b_duplicate_header.txt": f"{HEADER}|CNRY018|CNRY018\n{_fields(19, 11)}\n",
        "people_c_lines.txt": (
            f"{HEADER}|CNRY030\n"
            "1|CNRY031|CNRY032|CNRY033|CNRY034|001|01/01/2024||$1.00|x\n"  # bad dob, bad ssn
            "CNRY035|CNRY036|CNRY037\n"  # wrong field count
            "CNRYPIDX|CNRY038|CNRY039|01/01/1990|123456789|001|02/01/2024||CNRYBENX|x\n"
            "2|Roe|Rick|05/05/1985|345678901|003|02/01/2024||$987,654.31|x\n"  # out of range
            "4444321|Poe|Ann|05/05/1985|345678902|003|02/01/2024||$1.00|x\n"  # duplicate key
            "4444321|Doe|Bob|06/06/1986|345678903|005|02/01/2024||$2.00|x\n"
        ),
    }
    for name, text in files.items():
        (people / name).write_text(text, encoding="latin-1")
    (people / "people_d_utf16.txt").write_bytes(b"\xff\xfe" + f"{HEADER}\n".encode("utf-16-le"))
    (people / "people_e_key.txt").symlink_to(key_file)
    (visits / "visits_a.jsonl").write_bytes(
        b'{"visit_id": "CNRYVIDX", "person": "CNRY012 \xff\xfe", "visited_on": "2024-05-01"}\n'
        b'{"visit_id": "v2", "person": "CNRY013", "visited_on": "2024-05-01", "site": "A"}\n'
        b'{"visit_id": "CNRYVIDX", "person": "CNRY014", "visited_on": "2024-05-02", '
        b'"site": "CNRYSITE"}\n'
        b"{CNRY015: CNRY016\n"
    )
    return sorted(people.iterdir())


def _found(text: str, needles: list[str]) -> list[str]:
    upper = text.upper()
    return [n for n in needles if n.upper() in upper]


def _tables_with(con: duckdb.DuckDBPyConnection, where: str, needles: list[str]) -> list[str]:
    hits = []
    for catalog, schema, table in con.execute(
        "SELECT table_catalog, table_schema, table_name FROM information_schema.tables "
        f"WHERE table_type = 'BASE TABLE' AND {where}"
    ).fetchall():
        name = f'"{catalog}"."{schema}"."{table}"'
        text = " ".join(str(r) for r in con.execute(f"SELECT * FROM {name} t").fetchall())
        hits += [f"{schema}.{table}: {n}" for n in _found(text, needles)]
    return hits


def test_no_canary_or_key_anywhere_outside_pii(isolated_env, monkeypatch, capfd):
    tmp = isolated_env
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    key_file = tmp / "keys" / "linkage.key"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(key_file))
    monkeypatch.setenv("DATALABS_SQL_LOG", str(tmp / "sqllog" / "sql.jsonl"))
    monkeypatch.setenv(HOOK_ENV, HOOK)  # the recorder attaches as the benchmark attaches it
    (tmp / "sqllog").mkdir()
    key = linkage_key()
    secrets = [
        key.hex(),
        *(pad.hex() for pad in hmac_pads(key)),  # as the SQL text used to carry them
        *(bytes(b ^ mask for b in key).hex() for mask in (0x36, 0x5C)),
    ]
    people_files = deliver(get_settings().landing_dir, key_file)

    contracts = list(all_contracts())
    with dg.DagsterInstance.get() as instance:
        outcome = materialize_everything(build_definitions(contracts), contracts, instance)
        events = [
            dg.serialize_value(e) for r in instance.get_runs() for e in instance.all_logs(r.run_id)
        ]
    assert outcome.failed_runs  # the people deliveries are rejected
    for path in [*people_files, *sorted((tmp / "landing" / "test_agency" / "visits").iterdir())]:
        cli.main(["validate-extract", str(path)])
    out, err = capfd.readouterr()

    everything = HIDDEN + LOADED + secrets
    assert "people_e_key.txt" in out + err + "".join(events)  # the link was seen and rejected
    assert _found(out, everything) == []
    assert _found(err, everything) == []
    assert len(events) > 50
    assert [(_found(e, everything), e[:300]) for e in events if _found(e, everything)] == []
    for folder in (tmp / "dagster_home", tmp / "sqllog"):
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files
        text = "".join(p.read_bytes().decode("latin-1") for p in files)
        assert _found(text, everything) == [], folder
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        assert _tables_with(con, "table_schema <> 'pii'", HIDDEN + secrets) == []
        # the data tables keep what was delivered; the ledgers and every other table do not
        ledgers = (
            "table_schema <> 'pii' AND NOT (table_schema IN ('raw', 'staging') "
            "AND (table_name LIKE 'people%' OR table_name LIKE 'visits%') "
            "AND table_name NOT LIKE '%deliveries')"
        )
        assert _tables_with(con, ledgers, everything) == []
        failing = con.execute(
            "SELECT DISTINCT extract FROM staging.check_results WHERE NOT passed ORDER BY 1"
        ).fetchall()
        assert failing == [("people",), ("visits",)]  # the checks' error paths did run
        rejected = con.execute("SELECT delivery, rule FROM raw.rejected_deliveries").fetchall()
        assert ("people_e_key.txt", "confined landing") in rejected
        assert _tables_with(con, "table_schema = 'pii'", HIDDEN)  # the search can find them
    published = get_settings().published_path
    if published.exists():
        with duckdb.connect(str(published), read_only=True) as con:
            assert _tables_with(con, "true", everything) == []
