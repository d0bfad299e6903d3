"""Outcome facts and person linkage read roles: a new contract is enough, a short one fails.

Hand-made staging tables stand in for staged deliveries; the answers were worked out by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from datalabs_pipelines.cleaning.validate import render, validate_extract
from datalabs_pipelines.contracts import ContractError, all_contracts
from datalabs_pipelines.contracts.loader import CONTRACTS_DIR, load_contract
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import filling, role_problems
from datalabs_pipelines.governance.agreements import evaluate_agreements
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.marts.registry import mart_declarations
from datalabs_pipelines.marts.status import FRESH, NOT_MEASURABLE, assess
from datalabs_pipelines.outcomes.assets import fact_key, outcome_assets
from datalabs_pipelines.outcomes.build import build_fact
from datalabs_pipelines.outcomes.facts import all_facts
from datalabs_pipelines.quality.extract_status import LOADED

FACTS = {f.name: f for f in all_facts()}
SHIPPED = {c.name: c for c in all_contracts()}

# A second state's wage file: CSV, its own headers, first and last name apart, no NAICS or
# county, a dollar column called gross_wages in the file.
PAYROLL_WAGES = yaml.safe_load("""
name: payroll_wages
agency: revenue
domain: workforce
description: Quarterly wages from the revenue department's payroll withholding returns.
owners: [team:revenue]
file_pattern: "payroll_*.csv"
format: {kind: delimited, delimiter: ",", quote: '"', encoding: utf-8}
cadence: quarterly
role: wage_records
person_source: {}
grain: One row per employee, employer and quarter.
columns:
  - {source: EE_SSN, name: ssn, type: ssn, description: SSN, classification: pii, pii_kind: ssn}
  - {source: EE_FIRST, name: first_name, type: string, description: given name,
     classification: pii, pii_kind: name}
  - {source: EE_LAST, name: last_name, type: string, description: surname,
     classification: pii, pii_kind: name}
  - {source: TAX_YEAR, name: year, type: integer, description: year, classification: confidential}
  - {source: TAX_QTR, name: quarter, type: integer, description: quarter,
     classification: confidential}
  - {source: ER_EIN, name: employer_fein, type: fein, description: employer,
     classification: confidential}
  - {source: GROSS_WAGES, name: wages, type: money, description: wages,
     classification: confidential}
primary_key: [ssn, employer_fein, year, quarter]
agreement: {name: DOR-2026-1, permitted_purposes: [program_evaluation], expires: 2099-12-31}
""")


def _staged(con, tables: dict[str, tuple[str, list[tuple]]], keys: list[tuple]) -> None:
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE SCHEMA integrated")
    for name, (columns, rows) in tables.items():
        con.execute(f"CREATE TABLE staging.{name} ({columns})")
        for row in rows:
            con.execute(f"INSERT INTO staging.{name} VALUES ({', '.join('?' * len(row))})", row)
    con.execute(
        "CREATE TABLE integrated.person_keys "
        "(source_extract VARCHAR, record_id VARCHAR, person_key VARCHAR, carries_ssn BOOLEAN)"
    )
    con.executemany("INSERT INTO integrated.person_keys VALUES (?, ?, ?, true)", keys)


def test_a_second_wage_contract_named_otherwise_feeds_employment(con):
    payroll = Contract.model_validate(PAYROLL_WAGES)
    assert role_problems(payroll) == []
    contracts = [SHIPPED["ui_wages"], payroll]
    wages_cols = (
        "record_id VARCHAR, year BIGINT, quarter BIGINT, employer_fein VARCHAR, naics VARCHAR, "
        "wages DECIMAL(18, 2), county_fips VARCHAR"
    )
    payroll_cols = (
        "record_id VARCHAR, year BIGINT, quarter BIGINT, employer_fein VARCHAR, "
        "wages DECIMAL(18, 2)"
    )
    _staged(
        con,
        {
            "ui_wages": (wages_cols, [("w1", 2024, 1, "111", "6211", 100, "17031")]),
            "payroll_wages": (
                payroll_cols,
                [("p1", 2024, 1, "111", 50), ("p2", 2024, 2, "222", 70)],
            ),
        },
        [("ui_wages", "w1", "A"), ("payroll_wages", "p1", "A"), ("payroll_wages", "p2", "B")],
    )
    outcomes = build_fact(con, FACTS["employment_quarters"], contracts).outcomes
    assert all(o.passed for o in outcomes)
    rows = con.execute(
        "SELECT person_key, quarter_index, employer_fein, naics, wages, source_records "
        "FROM integrated.employment_quarters ORDER BY ALL"
    ).fetchall()
    # A's two records of one employer and quarter (one per file) sum; B's has no NAICS
    assert [(p, q, e, n, float(w), r) for p, q, e, n, w, r in rows] == [
        ("A", 2024 * 4, "111", "6211", 150.0, 2),
        ("B", 2024 * 4 + 1, "222", None, 70.0, 1),
    ]
    # the payroll file is a person source by its canonical names, and a dependency of the fact
    source = person_sources(contracts)["payroll_wages"][1]
    assert (source.column("first_name"), source.column("full_name")) == ("first_name", None)
    key = fact_key(FACTS["employment_quarters"])
    (asset,) = [a for a in outcome_assets(contracts) if key in a.keys]
    assert any(k.path == ["staging", "revenue", "payroll_wages"] for k in asset.dependency_keys)


def _wic(**changes) -> Contract:
    """A WIC file shaped like SNAP's: a contract of its own, program WIC."""
    data = yaml.safe_load((CONTRACTS_DIR / "human_services" / "snap_enrollment.yaml").read_text())
    data.update(name="wic_enrollment", file_pattern="wic_*.csv", constants={"program": "WIC"})
    data.update(changes)
    return Contract.model_validate(data)


def test_a_second_benefit_file_gives_its_program_from_the_contract(con):
    wic = _wic()
    contracts = [*(SHIPPED[n] for n in ("snap_enrollment", "ui_claims")), wic]
    assert [c.name for c in filling(contracts, "benefit_enrollment")] == [
        "snap_enrollment",
        "wic_enrollment",
    ]
    spells = (
        "record_id VARCHAR, spell_start DATE, spell_end DATE, county_fips VARCHAR, "
        "dob_year INTEGER, sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
    )
    claims = (
        "record_id VARCHAR, claim_id VARCHAR, claim_filed_date DATE, benefit_end_date DATE, "
        "weekly_benefit_amount DECIMAL(18, 2), last_employer_fein VARCHAR, "
        "county_fips VARCHAR, dob_year INTEGER"
    )
    _staged(
        con,
        {
            "snap_enrollment": (spells, [("s1", "2024-01-01", "2024-03-31", *[None] * 5)]),
            "wic_enrollment": (spells, [("v1", "2024-02-01", *[None] * 6)]),
            "ui_claims": (claims, []),
        },
        [("snap_enrollment", "s1", "A"), ("wic_enrollment", "v1", "A")],
    )
    build_fact(con, FACTS["benefit_spells"], contracts)
    assert con.execute(
        "SELECT program, start_date::VARCHAR FROM integrated.benefit_spells ORDER BY ALL"
    ).fetchall() == [("SNAP", "2024-01-01"), ("WIC", "2024-02-01")]


def test_a_new_person_source_joins_linkage_quality_through_its_contract():
    agreement = {"name": "WIC-1", "permitted_purposes": ["other"], "expires": "2099-12-31"}
    contracts = [*SHIPPED.values(), _wic(agreement=agreement)]
    (mart,) = [d for d in mart_declarations(contracts) if d.name == "linkage_quality"]
    assert mart.optional_sources["wic_enrollment"] == []
    assert "staging/human_services/wic_enrollment" in mart.deps
    # its agreement is judged like a named source's: this one does not permit the purpose (on
    # a day every shipped agreement is valid, whenever the test runs)
    on = dt.date(2026, 1, 1)
    (finding,) = [f for f in evaluate_agreements(mart, contracts, on) if not f.ok]
    assert finding.source == "wic_enrollment"


def _without(data: dict, column: str) -> dict:
    data["columns"] = [c for c in data["columns"] if c["name"] != column]
    data["expectations"] = [
        e
        for e in data.get("expectations", [])
        if column not in (e.get("column"), e.get("start"), e.get("end"), *e.get("columns", []))
    ]
    data["primary_key"] = [k for k in data["primary_key"] if k != column]
    return data


def test_a_wage_contract_without_wages_fails_naming_the_column(tmp_path):
    data = _without(dict(PAYROLL_WAGES), "wages")
    path = tmp_path / "contracts" / "revenue" / "payroll_wages.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert str(info.value) == (
        f"{path}: role wage_records needs column 'wages' (none of the contract's canonical names)"
    )
    report = validate_extract(tmp_path / "never_read.csv", Contract.model_validate(data))
    assert not report.clean and "role wage_records needs column 'wages'" in render(report)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: _without(d, "spell_start"),
            "role benefit_enrollment needs column 'spell_start'",
        ),
        (
            lambda d: d.pop("constants"),
            "role benefit_enrollment needs column 'program'",
        ),
        (
            lambda d: d.update(constants={"program": "SNAP", "agency": "HHS"}),
            "constants.agency: none of its roles reads a column 'agency'",
        ),
        (
            lambda d: [c.update(classification="confidential") for c in d["columns"]
                       if c["name"] == "last_name"],
            "role person_source reads column 'last_name' from pii, so it must be classified pii",
        ),
        (
            lambda d: d["person_source"]["agency_id"].update(columns=["member_no"]),
            "person_source.agency_id: 'member_no' must be a non-pii column of the contract",
        ),
    ],
)  # fmt: skip
def test_person_contract_problems_are_one_line_each(change, problem):
    data = yaml.safe_load((CONTRACTS_DIR / "human_services" / "snap_enrollment.yaml").read_text())
    change(data)
    problems = role_problems(Contract.model_validate(data))
    assert any(p.startswith(problem) for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_a_state_whose_snap_extract_is_named_otherwise_gets_its_marts_from_yaml(con):
    """Another state: its SNAP file is `food_assistance`, no TANF or Medicaid contract. The
    benefit fact reads it through its role, the safety-net marts take it as their source, and
    the other programs' overlap columns are not measurable (never zero)."""
    food = _wic(name="food_assistance", constants={"program": "SNAP"})
    contracts = [food, SHIPPED["ui_claims"]]
    spells = (
        "record_id VARCHAR, spell_start DATE, spell_end DATE, county_fips VARCHAR, "
        "dob_year INTEGER, sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
    )
    _staged(
        con,
        {
            "food_assistance": (spells, [("f1", "2024-01-01", "2024-02-29", *[None] * 5)]),
            "ui_claims": (
                "record_id VARCHAR, claim_id VARCHAR, claim_filed_date DATE, "
                "benefit_end_date DATE, weekly_benefit_amount DECIMAL(18, 2), "
                "last_employer_fein VARCHAR, county_fips VARCHAR, dob_year INTEGER",
                [],
            ),
        },
        [("food_assistance", "f1", "A")],
    )
    build_fact(con, FACTS["benefit_spells"], contracts)
    assert con.execute(
        "SELECT person_key, program, start_date::VARCHAR FROM integrated.benefit_spells"
    ).fetchall() == [("A", "SNAP", "2024-01-01")]
    marts = {d.name: d for d in mart_declarations(contracts)}
    enrollment = marts["safety_net_enrollment"]
    assert enrollment.sources == ["food_assistance"]
    assert "staging/human_services/food_assistance" in enrollment.deps
    verdict = assess(enrollment, [], {"food_assistance": (LOADED, None)})
    assert (verdict.status, verdict.nulled) == (
        FRESH,
        ["enrolled_with_tanf", "enrolled_with_medicaid"],
    )
    assert assess(enrollment, [], {}).status == NOT_MEASURABLE  # its only contract not delivered
    # workforce outcomes need wage records: no contract fills the role, so there is no such mart
    assert "workforce_outcomes" not in marts and "safety_net_annual" in marts


def test_a_file_with_its_own_codes_maps_them_in_its_contract(con):
    """Another state codes sex 1/2, race 1-6 and Hispanic ethnicity 1/2: its contract's value
    maps alone turn them into the fact's sex and EDFacts race/ethnicity."""
    own_codes = {
        "sex": {"1": {"sex_code": "M"}, "2": {"sex_code": "F"}},
        "race": {
            "1": {"race_code": "WH7"},
            "2": {"race_code": "BL7"},
            "6": {"race_code": "MU7"},
        },
        "ethnicity": {"1": {"hispanic_latino": "Y"}, "2": {"hispanic_latino": "N"}},
    }
    other = _wic(name="other_snap", constants={"program": "SNAP"}, value_maps=own_codes)
    assert role_problems(other) == []
    contracts = [other, SHIPPED["ui_claims"]]
    spells = (
        "record_id VARCHAR, spell_start DATE, spell_end DATE, county_fips VARCHAR, "
        "dob_year INTEGER, sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
    )
    rows = [
        ("a", "2024-01-01", "2024-01-31", None, None, "1", "2", "2"),  # man, Black
        ("b", "2024-01-01", "2024-01-31", None, None, "2", "1", " 1 "),  # woman, Hispanic
        ("c", "2024-01-01", "2024-01-31", None, None, "9", "6", None),  # unknown sex, two+
        ("d", "2024-01-01", "2024-01-31", None, None, None, "W", "N"),  # codes it does not list
    ]
    _staged(
        con,
        {
            "other_snap": (spells, rows),
            "ui_claims": (
                "record_id VARCHAR, claim_id VARCHAR, claim_filed_date DATE, "
                "benefit_end_date DATE, weekly_benefit_amount DECIMAL(18, 2), "
                "last_employer_fein VARCHAR, county_fips VARCHAR, dob_year INTEGER",
                [],
            ),
        },
        [("other_snap", r, r.upper()) for r in "abcd"],
    )
    build_fact(con, FACTS["benefit_spells"], contracts)
    assert con.execute(
        "SELECT person_key, sex, race_ethnicity FROM integrated.benefit_spells ORDER BY 1"
    ).fetchall() == [("A", "M", "BL7"), ("B", "F", "HI7"), ("C", None, "MU7"), ("D", None, None)]


def test_a_coded_column_without_its_value_map_fails_in_one_line():
    data = yaml.safe_load((CONTRACTS_DIR / "human_services" / "snap_enrollment.yaml").read_text())
    del data["value_maps"]["race"]
    problems = role_problems(Contract.model_validate(data))
    assert problems == ["role benefit_enrollment needs value_maps.race (each code to race_code)"]


def test_a_per_record_program_code_maps_to_its_program(con):
    """A combined benefits file codes the program per record (FS, TA): its contract maps them."""
    data = yaml.safe_load((CONTRACTS_DIR / "human_services" / "snap_enrollment.yaml").read_text())
    data["columns"].append(
        {"source": "PGM", "name": "program", "type": "string", "description": "program code",
         "classification": "confidential"}
    )  # fmt: skip
    data["value_maps"]["program"] = {"FS": {"program_name": "SNAP"}, "TA": {"program_name": "TANF"}}
    combined = _wic(
        name="benefits", constants={}, columns=data["columns"], value_maps=data["value_maps"]
    )
    assert role_problems(combined) == []
    spells = (
        "record_id VARCHAR, program VARCHAR, spell_start DATE, spell_end DATE, "
        "county_fips VARCHAR, dob_year INTEGER, sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
    )
    claims = (
        "record_id VARCHAR, claim_id VARCHAR, claim_filed_date DATE, benefit_end_date DATE, "
        "weekly_benefit_amount DECIMAL(18, 2), last_employer_fein VARCHAR, "
        "county_fips VARCHAR, dob_year INTEGER"
    )
    rows = [
        ("a", "FS", "2024-01-01", None, *[None] * 5),
        ("b", "ta", "2024-02-01", None, *[None] * 5),
        ("c", "WIC", "2024-03-01", None, *[None] * 5),  # not in the map: kept as written
    ]
    _staged(con, {"benefits": (spells, rows), "ui_claims": (claims, [])},
            [("benefits", r, "A") for r in "abc"])  # fmt: skip
    build_fact(con, FACTS["benefit_spells"], [combined, SHIPPED["ui_claims"]])
    assert con.execute(
        "SELECT program FROM integrated.benefit_spells ORDER BY start_date"
    ).fetchall() == [("SNAP",), ("TANF",), ("WIC",)]
