"""Parsing deliveries: every record is loaded or quarantined with its line and reason."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.loading import QUARANTINE, load_delivery, reconcile
from datalabs_pipelines.ingestion.parsing import split_quoted_records
from datalabs_pipelines.ingestion.physical import file_facts
from datalabs_pipelines.warehouse import qualified


def csv_contract(**fmt) -> Contract:
    return Contract.model_validate(
        {
            "name": "things",
            "agency": "test",
            "domain": "procurement",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "*.csv",
            "format": {"kind": "delimited", "delimiter": ",", **fmt},
            "cadence": "monthly",
            "grain": "One row per thing.",
            "columns": [
                {"source": "ID", "name": "id", "type": "integer", "description": "id"},
                {"source": "NAME", "name": "name", "description": "n"},
                {"source": "NOTE", "name": "note", "description": "n", "required": False},
            ],
            "primary_key": ["id"],
            "agreement": {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"},
        }
    )


def write(tmp_path: Path, data: bytes, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def quarantine(con, contract: Contract) -> list[tuple[int, str]]:
    table = qualified(QUARANTINE.of(contract))
    return con.execute(f"SELECT line, reason FROM {table} ORDER BY line").fetchall()


def loaded(con) -> list[tuple[int, str, str]]:
    return con.execute("SELECT _line, id, note FROM raw.things ORDER BY _line").fetchall()


@pytest.mark.parametrize(
    ("data", "expected_loaded", "expected_quarantine"),
    [
        pytest.param(
            b"ID,NAME,NOTE\n1,a,x\n2,b,y\n", [(2, "1", "x"), (3, "2", "y")], [], id="plain"
        ),
        pytest.param(
            b"ID,NAME,NOTE\r\n1,a,x\r\n2,b,y",
            [(2, "1", "x"), (3, "2", "y")],
            [],
            id="crlf-no-final-newline",
        ),
        pytest.param(
            b"ID,NAME,NOTE\r1,a,x\r2,b,y\r", [(2, "1", "x"), (3, "2", "y")], [], id="lone-cr"
        ),
        pytest.param(b"\xef\xbb\xbfID,NAME,NOTE\n1,a,x\n", [(2, "1", "x")], [], id="utf8-bom"),
        pytest.param(
            b'ID,NAME,NOTE\n1,"multi\nline",x\n2,b,y\n',
            [(2, "1", "x"), (4, "2", "y")],
            [],
            id="newline-in-quotes",
        ),
        pytest.param(b'ID,NAME,NOTE\n1,"a ""q"" b",x\n', [(2, "1", "x")], [], id="escaped-quote"),
        pytest.param(
            b"ID,NAME,NOTE\n1,a,x,extra\n2,b,y\n",
            [(3, "2", "y")],
            [(2, "expected 3 fields, found 4")],
            id="too-many-fields",
        ),
        pytest.param(
            b"ID,NAME,NOTE\n1,a\n2,b,y\n",
            [(3, "2", "y")],
            [(2, "expected 3 fields, found 2")],
            id="too-few-fields",
        ),
        pytest.param(
            b'ID,NAME,NOTE\n1,"unterminated,x\n2,b,y\n',
            [(3, "2", "y")],
            [(2, "malformed quoting: unterminated or stray quote")],
            id="unterminated-quote",
        ),
        pytest.param(
            b"ID,NAME,NOTE\n1,\xff\xfe,x\n2,b,y\n",
            [(3, "2", "y")],
            [(2, "undecodable bytes: not valid utf-8")],
            id="undecodable",
        ),
        pytest.param(
            b"ID,NAME,NOTE\n1,a,x\n\n2,b,y\n", [(2, "1", "x"), (4, "2", "y")], [], id="blank-line"
        ),
        pytest.param(  # the blank line is the value's, not a skipped one
            b'ID,NAME,NOTE\n1,a,"x\n\ny"\n2,b,z\n',
            [(2, "1", "x\n\ny"), (5, "2", "z")],
            [],
            id="blank-line-in-quotes",
        ),
        pytest.param(  # a record broken by an unreadable line: each of its lines quarantined
            b'ID,NAME,NOTE\n1,a,"x\n\x00\ny"\n2,b,z\n',
            [(5, "2", "z")],
            [
                (2, "malformed quoting: unterminated or stray quote"),
                (3, "NUL byte in line: binary content"),
                (4, "expected 3 fields, found 1"),
            ],
            id="unreadable-line-in-quotes",
        ),
        pytest.param(
            b"ID,NAME,NOTE\n1,a\x1fb,x\n2,b,y\n",
            [(3, "2", "y")],
            [(2, "control byte 0x1F in line: binary content")],
            id="unit-separator",
        ),
        pytest.param(  # a stray pair of quotes carries one record over three lines: named
            b'ID,NAME,NOTE\n1,"a,x\n2,b,y\nc",d,z\n4,d,w\n',
            [(5, "4", "w")],
            [(2, "expected 3 fields, found 4 (one record, lines 2 to 4)")],
            id="stray-quote-pair",
        ),
    ],
)
def test_delimited_records_are_loaded_or_quarantined(
    con, tmp_path, data, expected_loaded, expected_quarantine
):
    contract = csv_contract()
    result = load_delivery(con, contract, write(tmp_path, data), "d.csv")
    assert loaded(con) == expected_loaded
    assert quarantine(con, contract) == expected_quarantine
    counts = reconcile(con, contract, "d.csv")
    assert counts["reconciles"], counts
    assert result.rows_loaded + result.rows_quarantined == result.parse.records


def test_optional_column_may_be_missing(con, tmp_path):
    load_delivery(con, csv_contract(), write(tmp_path, b"ID,NAME\n1,a\n"), "d.csv")
    assert loaded(con) == [(2, "1", None)]


def test_header_match_is_case_and_space_insensitive(con, tmp_path):
    load_delivery(con, csv_contract(), write(tmp_path, b" id ,Name,note\n1,a,x\n"), "d.csv")
    assert loaded(con) == [(2, "1", "x")]


def test_title_lines_above_header_are_skipped(con, tmp_path):
    data = b"Vendor listing\n2 matches\nID,NAME,NOTE\n1,a,x\n"
    load_delivery(con, csv_contract(skip_lines=2), write(tmp_path, data), "d.csv")
    assert loaded(con) == [(4, "1", "x")]


@pytest.mark.parametrize(
    ("data", "rule", "fragment"),
    [
        pytest.param(b"", "non-empty file", "empty", id="empty"),
        pytest.param(b"ID,NAME,NOTE\n", "at least one record", "no records", id="header-only"),
        pytest.param(b"ID,NOTE\n1,x\n", "columns[1].required", "'NAME'", id="missing-column"),
        pytest.param(b"ID;NAME;NOTE\n1;a;x\n", "columns[0].required", "'ID'", id="wrong-delimiter"),
        pytest.param(
            b"ID,NAME,NAME\n1,a,b\n", "unique header names", "NAME", id="duplicate-header"
        ),
    ],
)
def test_unusable_files_are_rejected_with_file_rule_and_nothing_loaded(
    con, tmp_path, data, rule, fragment
):
    contract = csv_contract()
    path = write(tmp_path, data)
    with pytest.raises(DeliveryRejected) as info:
        load_delivery(con, contract, path, "d.csv")
    message = str(info.value)
    assert str(path) in message and rule in message and fragment in message
    assert info.value.rule == rule
    assert con.execute("SELECT count(*) FROM raw.things").fetchone()[0] == 0
    assert con.execute("SELECT rule FROM raw.things_rejected_deliveries").fetchall() == [(rule,)]


def test_missing_column_error_names_line_and_column(con, tmp_path):
    with pytest.raises(DeliveryRejected) as info:
        load_delivery(con, csv_contract(), write(tmp_path, b"ID,NOTE\n1,x\n"), "d.csv")
    assert info.value.line == 1 and info.value.column == "NAME"
    assert "line 1" in str(info.value) and "column 'NAME'" in str(info.value)


def test_reloading_a_delivery_replaces_its_rows(con, tmp_path):
    contract = csv_contract()
    path = write(tmp_path, b"ID,NAME,NOTE\n1,a,x\n2,b,y\n")
    load_delivery(con, contract, path, "d.csv")
    load_delivery(con, contract, path, "d.csv")
    assert len(loaded(con)) == 2
    path.write_bytes(b"ID,NAME,NOTE\n9,z,q\n")
    load_delivery(con, contract, path, "d.csv")
    assert loaded(con) == [(2, "9", "q")]


def test_rejected_redelivery_keeps_previous_rows(con, tmp_path):
    contract = csv_contract()
    path = write(tmp_path, b"ID,NAME,NOTE\n1,a,x\n")
    load_delivery(con, contract, path, "d.csv")
    path.write_bytes(b"")
    with pytest.raises(DeliveryRejected):
        load_delivery(con, contract, path, "d.csv")
    assert loaded(con) == [(2, "1", "x")]


def test_latin1_file_decodes_accents(con, tmp_path, people_contract):
    from datalabs_pipelines_tests.conftest import FIXTURE_LANDING

    path = FIXTURE_LANDING / "test_agency" / "people" / "people_2024.txt"
    result = load_delivery(con, people_contract, path, path.name)
    names = con.execute("SELECT last_name FROM pii.people_raw ORDER BY _line").fetchall()
    assert ("Muñoz",) in names and ("Peña",) in names
    assert result.rows_quarantined == 1  # the short row
    assert quarantine(con, people_contract) == [(6, "expected 9 fields, found 3")]


def test_a_latin1_file_reads_windows_1252_quotes_and_quarantines_only_undefined_bytes(
    con, tmp_path
):
    """A curly apostrophe from a Windows export (byte 0x92) made DuckDB's latin-1 reader
    refuse the whole file; a byte Windows-1252 leaves undefined (0x81) costs only its line."""
    contract = csv_contract(encoding="latin-1")
    data = b"ID,NAME,NOTE\n1,O\x92BRIEN,x\n2,b\x81c,y\n3,Pe\xf1a,z\n"
    result = load_delivery(con, contract, write(tmp_path, data), "d.csv")
    names = con.execute("SELECT _line, name FROM raw.things ORDER BY _line").fetchall()
    assert names == [(2, "O\u2019BRIEN"), (4, "Pe\u00f1a")]
    assert quarantine(con, contract) == [(3, "undecodable bytes: not valid latin-1")]
    assert reconcile(con, contract, "d.csv")["reconciles"]
    assert result.rows_loaded + result.rows_quarantined == result.parse.records == 3


def test_json_lines(con, visits_contract):
    from datalabs_pipelines_tests.conftest import FIXTURE_LANDING

    path = FIXTURE_LANDING / "test_agency" / "visits" / "visits_2024q2.jsonl"
    load_delivery(con, visits_contract, path, path.name)
    assert con.execute("SELECT _line, visit_id FROM raw.visits ORDER BY 1").fetchall() == [
        (1, "v1"),
        (2, "v2"),
        (3, "v3"),
    ]
    assert quarantine(con, visits_contract) == [(4, "malformed JSON object")]


@pytest.mark.parametrize(
    ("data", "lines"),
    [(b"", 0), (b"a", 1), (b"a\n", 1), (b"a\r\nb", 2), (b"a\rb\r", 2), (b"\n\n", 2)],
)
def test_physical_line_count(tmp_path, data, lines):
    assert file_facts(write(tmp_path, data)).physical_lines == lines


def reference_fields(line: str) -> list[str] | None:
    """The quoting grammar, written as one regular expression over the whole record: fields
    separated by commas, each either quoted (inner quotes doubled) or plain (not starting
    with a quote). None where the record does not match."""
    quoted, plain = r'"(?:[^"]|"")*"', r'(?:[^,"][^,]*)?'
    if not re.fullmatch(f"(?:{quoted}|{plain})(?:,(?:{quoted}|{plain}))*", line, re.S):
        return None
    fields = re.findall(f",({quoted}|[^,]*)", "," + line, re.S)
    return [f[1:-1].replace('""', '"') if f.startswith('"') else f for f in fields]


def test_quoted_split_agrees_with_the_grammar_on_every_short_record(con):
    """Every record of up to eight characters from a, comma, quote and newline (87,380; seven
    reach two quoted fields side by side, `"a","a"`): each of the SQL's three paths
    gives the grammar's fields, or NULL where the grammar rejects the record."""
    lines = ["".join(chars) for n in range(1, 9) for chars in itertools.product('a,"\n', repeat=n)]
    con.execute(
        "CREATE TEMP TABLE _records AS SELECT unnest(range(len($l))) AS _line, unnest($l) AS text",
        {"l": lines},
    )
    split_quoted_records(con, ",", '"')
    got = dict(con.execute("SELECT _line, fields FROM _records").fetchall())
    mismatches = [
        (line, got[i], reference_fields(line))
        for i, line in enumerate(lines)
        if got[i] != reference_fields(line)
    ]
    assert len(got) == len(lines) == 87380
    assert not mismatches, mismatches[:10]
    assert sum(fields is None for fields in got.values()) > 10000  # the rejects are exercised
