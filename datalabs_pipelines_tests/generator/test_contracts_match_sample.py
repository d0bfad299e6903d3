"""The generated extracts agree with their contracts: every source column exists, layouts fit,
and the sample passes every error-severity expectation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from datalabs_pipelines.contracts import Contract, load_contracts
from datalabs_pipelines.generator import EXTRACTS, GenerationSummary, generate
from datalabs_pipelines_tests.generator.conftest import TINY_SCALE, TINY_SEED
from datalabs_pipelines_tests.generator.staging_check import failures, staging_frame

AGENCY_OF = {e: a for a, extracts in EXTRACTS.items() for e in extracts}
COMMITTED = Path(__file__).resolve().parents[2] / "data"
CONTRACTS = [c for c in load_contracts() if c.name in AGENCY_OF]


def test_every_generated_extract_has_a_contract() -> None:
    assert sorted(c.name for c in CONTRACTS) == sorted(AGENCY_OF)


def _sources_in(contract: Contract, path: Path) -> set[str]:
    fmt = contract.format
    if fmt.kind == "delimited":
        with open(path, encoding=fmt.encoding, errors="replace", newline="") as fh:
            lines = [fh.readline() for _ in range(fmt.skip_lines + 1)]
        return set(lines[-1].rstrip("\r\n").split(fmt.delimiter))
    if fmt.kind == "jsonl":
        keys: set[str] = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                keys |= set(json.loads(line))
            except json.JSONDecodeError:
                continue
        return keys
    if fmt.kind == "excel":
        ws = openpyxl.load_workbook(path, read_only=True)[fmt.sheet]
        row = next(ws.iter_rows(min_row=fmt.header_row, max_row=fmt.header_row, values_only=True))
        return {str(v) for v in row if v is not None}
    lengths = {len(line) for line in path.read_bytes().splitlines()}
    assert fmt.record_length in lengths
    end = max(c.fixed_width.start + c.fixed_width.width - 1 for c in contract.columns)
    assert end == fmt.record_length
    return {c.source for c in contract.columns}


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_committed_sample_has_every_source_column(contract: Contract) -> None:
    folder = COMMITTED / "raw" / AGENCY_OF[contract.name] / contract.name
    files = sorted(folder.glob(contract.file_pattern))
    if not files:
        pytest.skip(f"no committed sample under {folder}")
    for path in files:
        present = _sources_in(contract, path)
        missing = [c.source for c in contract.columns if c.required and c.source not in present]
        assert missing == [], f"{path.name} lacks {missing}"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_generated_data_passes_error_expectations(
    contract: Contract, tiny: GenerationSummary
) -> None:
    broken = pd.read_csv(tiny.out / "truth" / "unparseable_lines.csv")
    skip: dict[str, set[int]] = {}
    for r in broken.itertuples():
        skip.setdefault(r.delivery_file, set()).add(int(r.line_number))
    frame = staging_frame(
        contract, tiny.out / "raw" / AGENCY_OF[contract.name] / contract.name, skip
    )
    assert failures(contract, frame, "error") == []


@pytest.mark.parametrize("through", [dt.date(2027, 1, 1), dt.date(2027, 3, 10)], ids=str)
def test_a_sample_ending_early_in_a_year_passes_on_its_last_day(
    through: dt.date, tmp_path: Path
) -> None:
    """A period ending early in its year is shorter than three years: no date of it may fall
    after its last day (a firm registered in September of a sample ending in March failed the
    vendor master's check, and every test on a sample ending today, from January to August)."""
    sample = generate(TINY_SCALE, TINY_SEED, tmp_path, progress=False, through=through)
    broken = pd.read_csv(sample.out / "truth" / "unparseable_lines.csv")
    skip: dict[str, set[int]] = {}
    for r in broken.itertuples():
        skip.setdefault(r.delivery_file, set()).add(int(r.line_number))
    failed = {
        contract.name: failures(contract, frame, "error", judged_on=through)
        for contract in CONTRACTS
        if not (
            frame := staging_frame(
                contract, sample.out / "raw" / AGENCY_OF[contract.name] / contract.name, skip
            )
        ).empty
    }
    assert {name: found for name, found in failed.items() if found} == {}
