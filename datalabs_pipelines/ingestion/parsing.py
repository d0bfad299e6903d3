"""Parse one delivery file into two temp tables on a DuckDB connection, per its contract.

``_parsed(_line, <canonical columns> VARCHAR)``: one row per record, values as delivered.
``_quarantined(_line, reason, raw_text)``: one row per record that could not be parsed.

No message, reason or result field carries a value from the file (a headerless file's first
line is a record, so not even header names): file, line, field position, contract column and
rule only. ``raw_text`` is the one exception, and it is kept only in ``pii.quarantine``.

Text formats are read inside DuckDB as physical lines (so every row keeps its line number and
undecodable lines are caught by DuckDB's reject tables), then split in SQL. Quoted fields that
span lines are stitched from the few lines with an odd number of quote characters. Excel sheets
are small and read with python-calamine (.xlsx; Rust, ten times openpyxl's speed) or xlrd
(legacy .xls: calamine misreads the strings of the real NC HUB export). Whole-file problems raise
``DeliveryRejected``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import (
    Contract,
    DelimitedFormat,
    ExcelFormat,
    FixedWidthFormat,
    JsonLinesFormat,
)
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.physical import (
    UTF8_BOM,
    UTF16_BOMS,
    FileFacts,
    file_facts,
    lf_copy,
    windows_1252_copy,
)

MAX_LINE_BYTES = 1 << 20  # a longer line is quarantined, never loaded
RAW_TEXT_LIMIT = 2000  # characters of an unparseable record kept in quarantine


@dataclass
class ParseResult:
    """What parsing saw; the reconciliation check compares it with the loaded tables."""

    physical_lines: int
    sha256: str
    size_bytes: int
    preamble_lines: int = 0
    blank_lines: int = 0
    continuation_lines: int = 0
    unexpected_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Records in the file: lines that are neither preamble, blank nor a continuation."""
        return (
            self.physical_lines - self.preamble_lines - self.blank_lines - self.continuation_lines
        )


def parse_delivery(con: duckdb.DuckDBPyConnection, path: Path, contract: Contract) -> ParseResult:
    """Fill ``_parsed`` and ``_quarantined`` for ``path``; ``DeliveryRejected`` if unusable."""
    facts = file_facts(path)
    if facts.size_bytes == 0:
        raise DeliveryRejected(path, "non-empty file", "the file is empty", contract=contract.name)
    result = ParseResult(facts.physical_lines, facts.sha256, facts.size_bytes)
    con.execute("DROP TABLE IF EXISTS _quarantined")
    con.execute("CREATE TEMP TABLE _quarantined (_line BIGINT, reason VARCHAR, raw_text VARCHAR)")
    fmt = contract.format
    if isinstance(fmt, ExcelFormat):
        _parse_excel(con, path, contract, fmt, result)
    else:
        _check_encoding_marks(path, contract, fmt.encoding, facts)
        _read_lines(con, path, contract, fmt.encoding, facts, result)
        if isinstance(fmt, DelimitedFormat):
            _parse_delimited(con, path, contract, fmt, result)
        elif isinstance(fmt, FixedWidthFormat):
            _parse_fixed_width(con, contract, fmt, result)
        elif isinstance(fmt, JsonLinesFormat):
            _parse_json_lines(con, path, contract, result)
    if result.records <= 0:
        raise DeliveryRejected(
            path,
            "at least one record",
            "the file holds no records (only a header, title or blank lines)",
            contract=contract.name,
        )
    return result


# --- physical lines -----------------------------------------------------------------------


def _check_encoding_marks(path: Path, contract: Contract, encoding: str, facts: FileFacts) -> None:
    """A byte-order mark that contradicts the contract's encoding rejects the file."""
    found = None
    if facts.head.startswith(UTF16_BOMS):
        found = "UTF-16"
    elif facts.head.startswith(UTF8_BOM) and encoding != "utf-8":
        found = "UTF-8"
    if found:
        raise DeliveryRejected(
            path,
            "format.encoding",
            f"the file starts with a {found} byte-order mark but the contract says {encoding}",
            contract=contract.name,
            line=1,
        )


def _read_raw_lines(con: duckdb.DuckDBPyConnection, source: Path, encoding: str) -> None:
    """``_raw_lines(text)``: every line DuckDB decodes; the others in ``_rejects``."""
    con.execute(
        """
        CREATE TEMP TABLE _raw_lines AS
        SELECT line AS text FROM read_csv($path, columns = {'line': 'VARCHAR'},
            delim = $delim, quote = '', escape = '', header = false,
            auto_detect = false, encoding = $encoding, compression = 'none',
            max_line_size = $max_line, store_rejects = true, rejects_table = '_rejects',
            rejects_scan = '_reject_scans', parallel = false)
        """,
        {"path": str(source), "delim": "\x1f", "encoding": encoding, "max_line": MAX_LINE_BYTES},
    )


def _read_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract,
    encoding: str,
    facts: FileFacts,
    result: ParseResult,
) -> None:
    """``_lines(_line, text)`` for every decodable line; undecodable ones go to quarantine."""
    for table in ("_raw_lines", "_rejects", "_reject_scans", "_lines"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    with ExitStack() as stack:
        source = stack.enter_context(lf_copy(path)) if facts.mixed_line_endings else path
        try:
            try:
                _read_raw_lines(con, source, encoding)
            except duckdb.Error:
                if encoding != "latin-1":
                    raise
                for table in ("_raw_lines", "_rejects", "_reject_scans"):
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                _read_raw_lines(con, stack.enter_context(windows_1252_copy(source)), "utf-8")
        except duckdb.Error as exc:
            raise DeliveryRejected(  # DuckDB's message may quote the line: its type only
                path,
                "readable text file",
                f"not readable as {encoding} text lines ({type(exc).__name__})",
                contract=contract.name,
            ) from None
    good = con.execute("SELECT count(*) FROM _raw_lines").fetchone()[0]
    rejected = con.execute("SELECT count(DISTINCT line) FROM _rejects").fetchone()[0]
    if good + rejected != result.physical_lines:
        # DuckDB and the byte scan disagree (for example a NUL byte): trust neither silently.
        raise DeliveryRejected(
            path,
            "readable text file",
            f"{result.physical_lines} lines by byte count but {good + rejected} read as text; "
            "the file is probably binary or not in the contract's encoding",
            contract=contract.name,
        )
    con.execute(
        """
        CREATE TEMP TABLE _lines AS
        WITH rejected AS (SELECT DISTINCT line FROM _rejects),
        kept AS (
            SELECT l AS _line, row_number() OVER (ORDER BY l) AS ordinal
            FROM range(1, $total + 1) r(l) WHERE l NOT IN (SELECT line FROM rejected)
        ),
        texts AS (SELECT rowid + 1 AS ordinal, text FROM _raw_lines)
        SELECT kept._line, texts.text FROM kept JOIN texts USING (ordinal)
        """,
        {"total": result.physical_lines},
    )
    con.execute(
        """
        INSERT INTO _quarantined
        SELECT line, CASE
            WHEN any_value(error_type::VARCHAR) = 'INVALID ENCODING'
                THEN 'undecodable bytes: not valid ' || $encoding
            WHEN any_value(error_type::VARCHAR) = 'LINE SIZE OVER MAXIMUM'
                THEN 'line longer than ' || $max_line || ' bytes'
            WHEN any_value(error_type::VARCHAR) = 'TOO MANY COLUMNS'  -- lines split on 0x1F
                THEN 'control byte 0x1F in line: binary content'
            ELSE 'unreadable line: ' || any_value(error_type::VARCHAR) END,
            left(any_value(csv_line), $limit)
        FROM _rejects GROUP BY line
        """,
        {"encoding": encoding, "max_line": MAX_LINE_BYTES, "limit": RAW_TEXT_LIMIT},
    )
    con.execute("DROP TABLE _raw_lines")
    # A NUL byte never belongs in a text extract: the line is binary debris, not a record.
    _quarantine_lines(con, "contains(text, chr(0))", "'NUL byte in line: binary content'", [])
    con.execute("DELETE FROM _lines WHERE contains(text, chr(0))")


def _count_blank(con: duckdb.DuckDBPyConnection, after_line: int, spans: bool = False) -> int:
    """Blank lines after ``after_line``; with ``spans``, none inside a quoted value (``_spans``:
    a blank line there is the value's, not skipped)."""
    inside = "SELECT 1 FROM _spans s WHERE _line BETWEEN s.first_line AND s.last_line"
    return con.execute(
        "SELECT count(*) FROM _lines WHERE _line > ? AND coalesce(trim(text), '') = ''"
        + (f" AND NOT EXISTS ({inside})" if spans else ""),
        [after_line],
    ).fetchone()[0]


def _quarantine_lines(con: duckdb.DuckDBPyConnection, where: str, reason_sql: str, params) -> None:
    con.execute(
        f"INSERT INTO _quarantined SELECT _line, {reason_sql}, left(text, {RAW_TEXT_LIMIT}) "
        f"FROM _lines WHERE {where}",
        params,
    )


# --- delimited ----------------------------------------------------------------------------


SPAN_NOTE = "coalesce(' (one record, lines ' || first_line || ' to ' || last_line || ')', '')"
"""SQL: a quarantined record's lines, when a quoted value carried it over several."""


def _parse_delimited(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract,
    fmt: DelimitedFormat,
    result: ParseResult,
) -> None:
    header_line = fmt.skip_lines + 1
    result.preamble_lines = min(header_line, result.physical_lines)
    row = con.execute("SELECT text FROM _lines WHERE _line = ?", [header_line]).fetchone()
    if row is None or not (row[0] or "").strip():
        why = con.execute(
            "SELECT reason FROM _quarantined WHERE _line = ?", [header_line]
        ).fetchone()
        raise DeliveryRejected(
            path,
            "format.skip_lines",
            f"expected the header on line {header_line}"
            + (f", but that line is unreadable ({why[0]})" if why else ""),
            contract=contract.name,
            line=header_line,
        )
    header = _split_header(row[0], fmt)
    positions = _map_columns(path, contract, header, header_line, result)
    body = f"_line > {header_line} AND coalesce(trim(text), '') <> ''"

    con.execute("DROP TABLE IF EXISTS _records")
    con.execute("DROP TABLE IF EXISTS _spans")
    con.execute("CREATE TEMP TABLE _spans (first_line BIGINT, last_line BIGINT)")
    if fmt.quote:
        spans = _quoted_spans(con, header_line, fmt)
        if spans:
            con.executemany("INSERT INTO _spans VALUES (?, ?)", spans)
        result.continuation_lines = sum(last - first for first, last in spans)
        con.execute(  # a blank line inside a quoted value is part of it (kept as a line break)
            f"""
            CREATE TEMP TABLE _records AS
            SELECT _line, text FROM _lines
            WHERE {body}
              AND NOT EXISTS (SELECT 1 FROM _spans s
                              WHERE _line BETWEEN s.first_line AND s.last_line)
            UNION ALL
            SELECT s.first_line, string_agg(coalesce(l.text, ''), chr(10) ORDER BY l._line)
            FROM _spans s JOIN _lines l ON l._line BETWEEN s.first_line AND s.last_line
            GROUP BY s.first_line
            """
        )
        split_quoted_records(con, fmt.delimiter, fmt.quote)
        con.execute(
            f"INSERT INTO _quarantined SELECT _line, 'malformed quoting: unterminated or stray "
            f"quote' || {SPAN_NOTE}, left(text, {RAW_TEXT_LIMIT}) "
            f"FROM _records LEFT JOIN _spans ON first_line = _line WHERE fields IS NULL"
        )
    else:
        con.execute(
            f"CREATE TEMP TABLE _records AS SELECT _line, text, string_split(text, ?) AS fields "
            f"FROM _lines WHERE {body}",
            [fmt.delimiter],
        )
    con.execute(
        f"""
        INSERT INTO _quarantined
        SELECT _line, 'expected ' || $n || ' fields, found ' || len(fields) || {SPAN_NOTE},
               left(text, {RAW_TEXT_LIMIT})
        FROM _records LEFT JOIN _spans ON first_line = _line
        WHERE fields IS NOT NULL AND len(fields) <> $n
        """,
        {"n": len(header)},
    )
    result.blank_lines = _count_blank(con, header_line, spans=True)
    _project(
        con,
        contract,
        {name: f"fields[{pos + 1}]" for name, pos in positions.items()},
        "FROM _records WHERE fields IS NOT NULL AND len(fields) = $n",
        {"n": len(header)},
    )


def split_quoted_records(con: duckdb.DuckDBPyConnection, delimiter: str, quote: str) -> None:
    """Give ``_records(_line, text)`` its ``fields``: NULL where the quoting is malformed.

    Regular expressions decide only the lines the two cheaper paths cannot: a line without a
    quote character is split on the delimiter; a line whose quotes only wrap whole fields
    (each opening quote starts the line or follows a delimiter, each closing one ends it or
    precedes one, as in ``1,"$2,500.00",x``) is split on the quotes, the text between a
    closing and an opening quote on the delimiter. A doubled quote leaves an empty piece
    between two quotes, which no field boundary allows, so such lines go to the expressions.
    Each cheap path is several times faster than the expressions (a K-12 file has no quotes;
    nearly every payment line quotes its amount).
    """
    field, record = _quoted_field_patterns(delimiter, quote)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _records AS
        SELECT _line, text, CASE
            WHEN len(parts) = 1 THEN string_split(text, $delim)
            WHEN len(parts) % 2 = 1 AND list_bool_and(list_transform(parts, lambda s, i: i % 2 = 0
                    OR (s = '' AND (i = 1 OR i = len(parts)))
                    OR ((i = 1 OR starts_with(s, $delim))
                        AND (i = len(parts) OR ends_with(s, $delim)))))
            THEN flatten(list_transform(parts, lambda s, i: CASE
                WHEN i % 2 = 0 THEN [s]
                WHEN s = '' OR (i > 1 AND i < len(parts) AND s = $delim) THEN []
                ELSE string_split(s[(i > 1)::INTEGER + 1:length(s) - (i < len(parts))::INTEGER],
                    $delim) END))
            WHEN regexp_full_match(text, $record)
            THEN list_transform(regexp_extract_all($delim || text, $field, 1), lambda f:
                CASE WHEN starts_with(f, $quote)
                THEN replace(f[2:-2], $quote || $quote, $quote) ELSE f END)
            END AS fields
        FROM (SELECT _line, text, string_split(text, $quote) AS parts FROM _records)
        """,
        {"record": record, "field": field, "quote": quote, "delim": delimiter},
    )


def _split_header(text: str, fmt: DelimitedFormat) -> list[str]:
    if fmt.quote:
        field_pattern, _ = _quoted_field_patterns(fmt.delimiter, fmt.quote)
        raw = [m.group(1) for m in re.finditer(field_pattern, fmt.delimiter + text)]
        return [f[1:-1] if f.startswith(fmt.quote) and len(f) > 1 else f for f in raw]
    return text.split(fmt.delimiter)


def _quoted_field_patterns(delimiter: str, quote: str) -> tuple[str, str]:
    d, q = re.escape(delimiter), re.escape(quote)
    quoted = f"{q}(?:[^{q}]|{q}{q})*{q}"
    plain = f"(?:[^{d}{q}][^{d}]*)?"
    field = f"{d}({quoted}|[^{d}]*)"  # matched against delimiter + record: no empty matches
    record = f"(?:{quoted}|{plain})(?:{d}(?:{quoted}|{plain}))*"
    return field, record


def _quoted_spans(
    con: duckdb.DuckDBPyConnection, header_line: int, fmt: DelimitedFormat
) -> list[tuple[int, int]]:
    """Multi-line records: a line that opens a quoted field, up to the line that closes it.

    Only lines with an odd number of quotes can open or close one. A line that opens a field
    with no closing line within ``fmt.max_record_lines`` stays a record of its own and is
    quarantined as malformed quoting, so one stray quote never swallows the rest of a file.
    """
    quote = fmt.quote or '"'
    d, q = re.escape(fmt.delimiter), re.escape(quote)
    odd = con.execute(
        """
        SELECT _line, regexp_matches(text, $opener), regexp_matches(text, $closer)
        FROM _lines WHERE _line > $header
          AND (length(text) - length(replace(text, $quote, ''))) % 2 = 1
        ORDER BY _line
        """,
        {
            "opener": f"(?:^|{d}){q}(?:[^{q}]|{q}{q})*$",
            "closer": f"^(?:[^{q}]|{q}{q})*{q}(?:{d}|$)",
            "header": header_line,
            "quote": quote,
        },
    ).fetchall()
    # a line quarantined as it was read (undecodable, NUL bytes) breaks a record across it:
    # its two ends are then records of their own, each quarantined with its line
    unread = [r[0] for r in con.execute("SELECT _line FROM _quarantined ORDER BY 1").fetchall()]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(odd):
        line, opens, _ = odd[i]
        if opens and i + 1 < len(odd):
            next_line, _, closes = odd[i + 1]
            broken = bisect.bisect_right(unread, line) < bisect.bisect_left(unread, next_line)
            if closes and next_line - line <= fmt.max_record_lines and not broken:
                spans.append((line, next_line))
                i += 2
                continue
        i += 1
    return spans


def _map_columns(
    path: Path,
    contract: Contract,
    header: Sequence[str | None],
    header_line: int,
    result: ParseResult,
) -> dict[str, int]:
    """Canonical column name → 0-based position; missing required columns reject the file."""
    normalized = [(h or "").strip().lower() for h in header]
    sources = {c.source.strip().lower(): c.source for c in contract.columns}
    seen: dict[str, int] = {}
    for pos, name in enumerate(normalized):
        if name and name in seen:
            known = sources.get(name)  # a contract's column name may be named; a field may not
            raise DeliveryRejected(
                path,
                "unique header names",
                f"header fields {seen[name] + 1} and {pos + 1} have the same name"
                + (" (a contract column)" if known else ""),
                contract=contract.name,
                line=header_line,
                column=known,
            )
        seen[name] = pos
    positions: dict[str, int] = {}
    for i, column in enumerate(contract.columns):
        pos = seen.get(column.source.strip().lower())
        if pos is not None:
            positions[column.name] = pos
        elif column.required:
            raise DeliveryRejected(
                path,
                f"columns[{i}].required",
                f"required column {column.source!r} is not in the header line "
                f"({len(header)} fields; is the header missing or misspelt?)",
                contract=contract.name,
                line=header_line,
                column=column.source,
            )
        else:
            result.missing_optional_columns.append(column.source)
    result.unexpected_columns = [
        f"field {pos + 1}" for pos, n in enumerate(normalized) if n and n not in sources
    ]
    return positions


def _project(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    expressions: dict[str, str],
    from_clause: str,
    params,
) -> None:
    """``_parsed`` with every contract column (NULL where the file lacks an optional one)."""
    select = ", ".join(
        f"{expressions.get(c.name, 'NULL')}::VARCHAR AS {c.name}" for c in contract.columns
    )
    con.execute("DROP TABLE IF EXISTS _parsed")
    con.execute(f"CREATE TEMP TABLE _parsed AS SELECT _line, {select} {from_clause}", params)


# --- fixed width --------------------------------------------------------------------------


def _parse_fixed_width(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    fmt: FixedWidthFormat,
    result: ParseResult,
) -> None:
    result.blank_lines = _count_blank(con, 0)
    body = "coalesce(trim(text), '') <> ''"
    _quarantine_lines(
        con,
        f"{body} AND length(text) <> $n",
        "CASE WHEN length(text) < $n THEN 'short line' ELSE 'long line' END || ': ' || "
        "length(text) || ' characters, layout expects ' || $n",
        {"n": fmt.record_length},
    )
    expressions = {
        c.name: f"substr(text, {c.fixed_width.start}, {c.fixed_width.width})"
        for c in contract.columns
        if c.fixed_width is not None
    }
    _project(
        con,
        contract,
        expressions,
        f"FROM _lines WHERE {body} AND length(text) = $n",
        {"n": fmt.record_length},
    )


# --- JSON lines ---------------------------------------------------------------------------


def _parse_json_lines(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract, result: ParseResult
) -> None:
    result.blank_lines = _count_blank(con, 0)
    body = "coalesce(trim(text), '') <> ''"
    valid = "(starts_with(ltrim(text), '{') AND json_valid(text))"
    _quarantine_lines(con, f"{body} AND NOT ({valid})", "'malformed JSON object'", [])
    # A key given twice is ambiguous (which value is meant?): quarantine, do not guess.
    repeated = (
        "(CASE WHEN json_valid(text) AND starts_with(ltrim(text), '{') "
        "THEN len(json_keys(text)) <> len(list_distinct(json_keys(text))) ELSE false END)"
    )
    _quarantine_lines(con, f"{body} AND {valid} AND {repeated}", "'JSON object repeats a key'", [])
    valid = f"({valid} AND NOT {repeated})"
    paths = {c.name: '$."' + c.source.replace('"', '\\"') + '"' for c in contract.columns}
    objects = con.execute(f"SELECT count(*) FROM _lines WHERE {body} AND {valid}").fetchone()[0]
    for i, column in enumerate(contract.columns):
        if not objects:
            break  # every record is quarantined already: no key can be judged missing
        present = con.execute(
            f"SELECT count(*) FROM _lines WHERE {body} AND {valid} AND json_exists(text, ?)",
            [paths[column.name]],
        ).fetchone()[0]
        if present:
            continue
        if column.required:
            raise DeliveryRejected(
                path,
                f"columns[{i}].required",
                f"required key {column.source!r} appears in no record",
                contract=contract.name,
                column=column.source,
            )
        result.missing_optional_columns.append(column.source)
    names = list(paths)
    expressions = {name: f"json_extract_string(text, ${i + 1})" for i, name in enumerate(names)}
    _project(
        con,
        contract,
        expressions,
        f"FROM _lines WHERE {body} AND {valid}",
        [paths[n] for n in names],
    )


# --- Excel --------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path, contract: Contract, sheet: str) -> list[list[str | None]]:
    """Every row of ``sheet`` from the first, as text; an empty cell is None."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # CalamineError, or a zip or XML error for a non-xlsx file
        raise DeliveryRejected(  # the library's message may quote the file: its type only
            path,
            "format.kind",
            f"not a readable xlsx workbook ({type(exc).__name__})",
            contract=contract.name,
        ) from None
    try:
        if sheet not in book.sheet_names:
            raise DeliveryRejected(
                path,
                "format.sheet",
                f"sheet {sheet!r} not found ({len(book.sheet_names)} sheets)",
                contract=contract.name,
            )
        grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        book.close()
    return [[None if v == "" else _cell_text(v) for v in row] for row in grid]


def _xls_rows(path: Path, contract: Contract, sheet: str) -> list[list[str | None]]:
    """Legacy binary .xls via xlrd; its structural warnings are swallowed, not printed."""
    import io

    import xlrd

    try:
        book = xlrd.open_workbook(str(path), logfile=io.StringIO(), on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error, ...
        raise DeliveryRejected(  # xlrd's message quotes the file's first bytes: its type only
            path,
            "format.kind",
            f"not a readable xls workbook ({type(exc).__name__})",
            contract=contract.name,
        ) from None
    try:
        if sheet not in book.sheet_names():
            raise DeliveryRejected(
                path,
                "format.sheet",
                f"sheet {sheet!r} not found ({len(book.sheet_names())} sheets)",
                contract=contract.name,
            )
        grid = book.sheet_by_name(sheet)
        rows = []
        for r in range(grid.nrows):
            row = []
            for cell in grid.row(r):
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                    value = None
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                row.append(_cell_text(value))
            rows.append(row)
    finally:
        book.release_resources()
    return rows


def _parse_excel(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract,
    fmt: ExcelFormat,
    result: ParseResult,
) -> None:
    import pandas as pd

    read = _xls_rows if fmt.kind == "xls" else _xlsx_rows
    rows = read(path, contract, fmt.sheet)
    result.physical_lines = len(rows)
    result.preamble_lines = min(fmt.header_row, len(rows))
    if len(rows) < fmt.header_row:
        raise DeliveryRejected(
            path,
            "format.header_row",
            "the sheet ends before its header",
            contract=contract.name,
            line=fmt.header_row,
        )
    header = rows[fmt.header_row - 1]
    positions = _map_columns(path, contract, header, fmt.header_row, result)
    records = []
    for number, row in enumerate(rows[fmt.header_row :], start=fmt.header_row + 1):
        if all(v is None or not str(v).strip() for v in row):
            result.blank_lines += 1
            continue
        records.append(
            {
                "_line": number,
                **{name: row[pos] if pos < len(row) else None for name, pos in positions.items()},
            }
        )
    frame = pd.DataFrame.from_records(records, columns=["_line", *positions])
    frame = frame.astype({name: "string" for name in positions})
    con.register("_excel_rows", frame)
    _project(con, contract, {name: name for name in positions}, "FROM _excel_rows", [])
    con.unregister("_excel_rows")
