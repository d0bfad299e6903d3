"""The person records linkage compares: names split, placeholder SSNs dropped, keys derived,
worked out by hand for a few wage lines."""

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.prepare import RECORDS, build_records
from datalabs_pipelines.linkage.sources import person_sources

WAGE_LINES = [
    # record, full name, SSN
    ("w1", "JOHNSON WILLIAM", "234567891"),
    ("w2", "DE LA CRUZ ANA", "987654321"),  # a listed placeholder
    ("w3", "SMITH", "222222222"),  # one digit nine times: a placeholder too
    ("w4", "SMITH john", "232323232"),  # two digits: a number like any other
    ("w5", None, None),
]


def test_wage_records_as_worked_out_by_hand():
    (wages,) = [c for c in all_contracts() if c.name == "ui_wages"]
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE SCHEMA pii")
        con.execute("CREATE TABLE staging.ui_wages (record_id VARCHAR, employer_fein VARCHAR)")
        con.execute(
            "CREATE TABLE pii.ui_wages_identities "
            "(record_id VARCHAR, full_name VARCHAR, ssn VARCHAR)"
        )
        con.executemany(
            "INSERT INTO staging.ui_wages VALUES (?, '361234567')", [(r,) for r, _, _ in WAGE_LINES]
        )
        con.executemany("INSERT INTO pii.ui_wages_identities VALUES (?, ?, ?)", WAGE_LINES)
        assert build_records(con, person_sources([wages])) == len(WAGE_LINES)
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                f"SELECT record_id, first_name, last_name, ssn, ssn_digits, name_key, "
                f"has_identity FROM {RECORDS}"
            ).fetchall()
        }
    assert rows == {
        "w1": ("WILLIAM", "JOHNSON", "234567891", "123456789", "JOHNSON|WILLIAM", True),
        "w2": ("ANA", "DE LA CRUZ", None, None, "ANA|DE LA CRUZ", True),
        "w3": (None, "SMITH", None, None, None, False),
        # the last word is not all capitals: no first name, the whole text the surname
        "w4": (None, "SMITH john", "232323232", "222223333", None, True),
        "w5": (None, None, None, None, None, False),
    }
