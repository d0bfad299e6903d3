"""The extract contract: one YAML file per extract, the single source of truth.

Raw DDL, parsing, staging types, PII handling, expectations, Dagster metadata, freshness and
the data dictionary all derive from these models. Validation errors name the contract file
and the offending field (see ``loader.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

ColumnType = Literal[
    "string",  # free text, trimmed
    "identifier",  # a code kept as written (zero-padding too); "1.2E+05" or "123.0" is invalid
    "integer",  # whole numbers, thousands commas allowed; "138.18" is invalid, never 138
    "decimal",
    "money",  # "$1,234.50", "-$5", "(5.00)", "5.00-", "5.00 CR"; with `unit: cents`, whole cents
    "date",  # parsed with `formats`
    "boolean",
    "ssn",  # normalized to 9 digits and validated (area/group/serial rules)
    "fein",  # normalized to 9 digits
]

Classification = Literal["pii", "confidential", "public"]

# How a direct identifier is normalized before tokenization and linkage.
PiiKind = Literal["name", "ssn", "dob", "address", "phone", "email", "zip", "other"]

Severity = Literal["error", "warn"]

# What to do with lines identical in every column: ``keep`` each (a payment file has no natural
# key: two identical one-cent lines are two payments); ``collapse_resent``: keep identical lines
# within a delivery, but a line a later delivery repeats (copy by copy) is the same record sent
# again; ``collapse`` them all into one row, where the key says an identical line is the same
# record. ``_copies`` counts what a row stands for; every collapse is counted per delivery.
DuplicatePolicy = Literal["keep", "collapse_resent", "collapse"]

# A date bound relative to the run date: "run_date", "run_date + 31 days", "run_date - 120 years"
# (units: days, months, years); for a column of years, "run_year" or "run_year - 10".
RELATIVE_DATE = re.compile(r"^run_date(?:\s*([+-])\s*(\d+)\s*(days?|months?|years?))?$")
RELATIVE_YEAR = re.compile(r"^run_year(?:\s*([+-])\s*(\d+))?$")


def _check_identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(f"{value!r} is not a lower_snake_case identifier")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixedWidthField(Strict):
    start: int = Field(ge=1, description="1-based first character")
    width: int = Field(ge=1)


class Column(Strict):
    source: str = Field(
        min_length=1, description="name in the file: header, JSON key or layout name"
    )
    name: str = Field(description="canonical lower_snake_case name")
    type: ColumnType = "string"
    description: str = Field(min_length=1)
    classification: Classification = "confidential"
    pii_kind: PiiKind | None = None
    required: bool = Field(True, description="the column must be present in every delivery")
    formats: list[str] = Field(default_factory=list, description="strptime formats for dates")
    unit: Literal["dollars", "cents"] = "dollars"
    match_fold: bool = Field(
        False, description="also keep an upper-cased, accent-folded copy <name>_match for linkage"
    )
    fixed_width: FixedWidthField | None = None
    null_markers: list[str] | None = Field(
        None,
        description="values that mean missing (NULL before typing); default: the contract's",
    )

    _name = field_validator("name")(classmethod(lambda cls, v: _check_identifier(v)))

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.type == "date" and not self.formats:
            raise ValueError(f"column {self.name!r}: a date column needs `formats`")
        if self.classification == "pii" and self.pii_kind is None:
            raise ValueError(f"column {self.name!r}: a pii column needs `pii_kind`")
        return self


class DelimitedFormat(Strict):
    kind: Literal["delimited"]
    delimiter: str = Field(",", min_length=1, max_length=1)
    quote: str | None = '"'
    encoding: Literal["utf-8", "latin-1"] = "utf-8"
    skip_lines: int = Field(0, ge=0, description="title lines above the header")
    max_record_lines: int = Field(
        50, ge=2, description="a quoted field spanning more lines than this is unterminated"
    )


class FixedWidthFormat(Strict):
    kind: Literal["fixed_width"]
    encoding: Literal["utf-8", "latin-1"] = "utf-8"
    record_length: int = Field(ge=1, description="expected characters per line")


class ExcelFormat(Strict):
    """A worksheet: ``excel`` is an .xlsx workbook (calamine), ``xls`` legacy binary (xlrd)."""

    kind: Literal["excel", "xls"]
    sheet: str
    header_row: int = Field(1, ge=1, description="1-based row holding the header")


class JsonLinesFormat(Strict):
    kind: Literal["jsonl"]
    encoding: Literal["utf-8"] = "utf-8"


FileFormat = Annotated[
    DelimitedFormat | FixedWidthFormat | ExcelFormat | JsonLinesFormat, Field(discriminator="kind")
]


class NotNull(Strict):
    type: Literal["not_null"]
    column: str
    severity: Severity = "error"
    mostly: float = Field(1.0, gt=0, le=1)


class Unique(Strict):
    type: Literal["unique"]
    columns: list[str] = Field(min_length=1)
    severity: Severity = "error"


class Between(Strict):
    """Bounds are numbers, dates, or relative to the run date (``run_date + 31 days``).

    A fixed date is allowed only as ``min``: a fixed ``max`` would reject every future delivery
    once the calendar passes it.
    """

    type: Literal["between"]
    column: str
    min: float | str | None = None
    max: float | str | None = None
    severity: Severity = "error"
    mostly: float = Field(1.0, gt=0, le=1)

    @field_validator("min", "max")
    @classmethod
    def _bound(cls, value: float | str | None, info: ValidationInfo) -> float | str | None:
        if not isinstance(value, str):
            return value
        if RELATIVE_DATE.match(value) or RELATIVE_YEAR.match(value):
            return value
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a number, a date (YYYY-MM-DD) or a bound relative to the run "
                "date ('run_date + 31 days', 'run_date - 120 years', 'run_year')"
            ) from None
        if info.field_name == "max":
            raise ValueError(
                f"a fixed date {value!r} as max expires; write it relative to the run date, "
                "e.g. 'run_date + 31 days'"
            )
        return value

    def resolved(self, on: dt.date) -> Between:
        """This check with relative bounds turned into the dates (or years) they mean on ``on``."""
        return self.model_copy(
            update={"min": resolve_bound(self.min, on), "max": resolve_bound(self.max, on)}
        )


class InSet(Strict):
    type: Literal["in_set"]
    column: str
    values: list[str | int] = Field(min_length=1)
    severity: Severity = "error"
    mostly: float = Field(1.0, gt=0, le=1)


class DateOrder(Strict):
    type: Literal["date_order"]
    start: str
    end: str
    severity: Severity = "error"


class RowCount(Strict):
    type: Literal["row_count"]
    min: int = Field(0, ge=0)
    max: int | None = None
    severity: Severity = "error"


Expectation = Annotated[
    NotNull | Unique | Between | InSet | DateOrder | RowCount, Field(discriminator="type")
]


def resolve_bound(bound: float | str | None, on: dt.date) -> float | str | None:
    """A relative bound's value on the run date ``on``: an ISO date, or a year; others as given."""
    if not isinstance(bound, str):
        return bound
    if found := RELATIVE_YEAR.match(bound):
        sign, amount = found.groups()
        return on.year + (int(amount) * (-1 if sign == "-" else 1) if sign else 0)
    found = RELATIVE_DATE.match(bound)
    if found is None:
        return bound
    sign, amount, unit = found.groups()
    if sign is None:
        return on.isoformat()
    n = int(amount) * (-1 if sign == "-" else 1)
    if unit.startswith("day"):
        return (on + dt.timedelta(days=n)).isoformat()
    months = on.year * 12 + on.month - 1 + (n if unit.startswith("month") else 12 * n)
    year, month = divmod(months, 12)
    day = min(on.day, _days_in_month(year, month + 1))
    return dt.date(year, month + 1, day).isoformat()


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def resolved(exp: Expectation, on: dt.date) -> Expectation:
    """``exp`` with any bound relative to the run date resolved on ``on``."""
    return exp.resolved(on) if isinstance(exp, Between) else exp


class Agreement(Strict):
    name: str
    permitted_purposes: list[str] = Field(min_length=1)
    expires: dt.date


class AgencyId(Strict):
    """Columns that identify one person inside an agency, under a namespace of its own."""

    namespace: str
    columns: list[str] = Field(min_length=1)

    _namespace = field_validator("namespace")(classmethod(lambda cls, v: _check_identifier(v)))


class PersonSource(Strict):
    """Person linkage reads this extract: its identity columns by their canonical names (the
    ``person_source`` role, ``linkage/roles.yaml``), and the agency id that pre-groups records
    sharing it (two extracts of one agency can share a namespace)."""

    agency_id: AgencyId | None = None


class Contract(Strict):
    name: str = Field(description="extract name, unique across agencies")
    agency: str
    domain: Literal["procurement", "safety_net", "workforce", "education"]
    description: str = Field(min_length=1)
    owners: list[str] = Field(min_length=1, description="emails or team:<name>")
    file_pattern: str = Field(description="glob matched against delivery file names")
    format: FileFormat
    cadence: Literal["daily", "weekly", "monthly", "quarterly", "annual"]
    role: str | None = Field(None, description="the domain role it fills (<domain>/roles.yaml)")
    value_maps: dict[str, dict[str, dict[str, str]]] = Field(
        default_factory=dict,
        description="column -> code as written -> fields the role reads (program, agency_code)",
    )
    constants: dict[str, str] = Field(
        default_factory=dict,
        description="role column -> the value of every row, for a column the file does not "
        "carry (program: SNAP)",
    )
    person_source: PersonSource | None = Field(
        None, description="the extract describes people: person linkage reads it"
    )
    grain: str = Field(min_length=1, description="one row per ...")
    columns: list[Column] = Field(min_length=1)
    primary_key: list[str] = Field(min_length=1)
    expectations: list[Expectation] = Field(default_factory=list)
    agreement: Agreement
    duplicates: DuplicatePolicy = Field(
        "keep", description="identical lines: keep, collapse_resent or collapse"
    )
    amount_column: str | None = Field(
        None, description="the money column whose sum is reported for collapsed lines"
    )
    null_markers: list[str] = Field(
        default_factory=list, description="values that mean missing in every column ('N/A', '–')"
    )

    _names = field_validator("name", "agency")(classmethod(lambda cls, v: _check_identifier(v)))

    @model_validator(mode="before")
    @classmethod
    def _inherit_null_markers(cls, data: object) -> object:
        """A column without its own ``null_markers`` takes the contract's."""
        if not isinstance(data, dict) or not data.get("null_markers"):
            return data
        columns = data.get("columns")
        if not isinstance(columns, list):
            return data
        markers = data["null_markers"]
        inherited = [
            {**c, "null_markers": markers}
            if isinstance(c, dict) and c.get("null_markers") is None
            else c
            for c in columns
        ]
        return {**data, "columns": inherited}

    @model_validator(mode="after")
    def _references_exist(self) -> Contract:
        names = [c.name for c in self.columns]
        duplicated = {n for n in names if names.count(n) > 1}
        if duplicated:
            raise ValueError(f"duplicate column names: {sorted(duplicated)}")
        known = set(names)
        if self.amount_column is not None and self.amount_column not in known:
            raise ValueError(f"amount_column names unknown column {self.amount_column!r}")
        for key in self.primary_key:
            if key not in known:
                raise ValueError(f"primary_key names unknown column {key!r}")
        for i, exp in enumerate(self.expectations):
            for col in _expectation_columns(exp):
                if col not in known:
                    raise ValueError(f"expectations[{i}] ({exp.type}) names unknown column {col!r}")
        pii = {c.name: c for c in self.columns if c.classification == "pii"}
        for i, exp in enumerate(self.expectations):
            column = pii.get(getattr(exp, "column", None))
            if column is None or isinstance(exp, NotNull | Unique):
                continue
            if not (isinstance(exp, Between) and column.pii_kind == "dob"):
                raise ValueError(
                    f"expectations[{i}] ({exp.type}) is on pii column {exp.column!r}: staging "
                    "holds only its token, so pii columns allow not_null and unique (and "
                    "between on a date of birth, checked on its year)"
                )
        names = [check_name(e) for e in self.expectations]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"expectations: more than one check would be named {repeated}")
        is_fixed = isinstance(self.format, FixedWidthFormat)
        for col in self.columns:
            if is_fixed and col.fixed_width is None:
                raise ValueError(f"column {col.name!r}: fixed-width format needs `fixed_width`")
            if not is_fixed and col.fixed_width is not None:
                raise ValueError(f"column {col.name!r}: `fixed_width` only for fixed-width files")
        return self

    @model_validator(mode="after")
    def _value_maps_name_columns(self) -> Contract:
        names = {c.name for c in self.columns}
        for column, codes in self.value_maps.items():
            if column not in names:
                raise ValueError(f"value_maps names unknown column {column!r}")
            if not codes:
                raise ValueError(f"value_maps.{column}: no codes")
        return self

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def amount(self) -> Column | None:
        """The column whose sum is reported for collapsed lines: declared, else the only money
        column."""
        if self.amount_column is not None:
            return self.column(self.amount_column)
        money = [c for c in self.columns if c.type == "money"]
        return money[0] if len(money) == 1 else None

    @property
    def pii_columns(self) -> list[Column]:
        return [c for c in self.columns if c.classification == "pii"]

    @property
    def fingerprint(self) -> str:
        """16 hex digits of a SHA-256 of the whole declaration: what a raw load and a staged
        line record they were made with, so an edited contract loads and types them again."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    @property
    def open_columns(self) -> list[Column]:
        """Columns that may leave the pii schema."""
        return [c for c in self.columns if c.classification != "pii"]


def _expectation_columns(exp: Expectation) -> list[str]:
    if isinstance(exp, Unique):
        return list(exp.columns)
    if isinstance(exp, DateOrder):
        return [exp.start, exp.end]
    if isinstance(exp, RowCount):
        return []
    return [exp.column]


def check_name(exp: Expectation) -> str:
    """The asset check's name: stable, readable, unique within a contract."""
    if isinstance(exp, Unique):
        return "unique_" + "_".join(exp.columns)
    if isinstance(exp, DateOrder):
        return f"{exp.end}_not_before_{exp.start}"
    if isinstance(exp, RowCount):
        return "row_count_in_bounds"
    return f"{exp.column}_{exp.type}"
