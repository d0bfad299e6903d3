"""The outcome part of the graph: integrated facts, the three marts and the gated snapshot,
materialized with Dagster on hand-made staging tables in a temporary warehouse."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.linkage.person_keys import PERSON_KEYS_KEY, ensure_person_keys
from datalabs_pipelines.marts.status import MART_STATUS_KEY
from datalabs_pipelines.publishing import snapshot
from datalabs_pipelines.publishing.assets import DISCLOSURE_GATE, SNAPSHOT
from datalabs_pipelines.quality.extract_status import EXTRACT_STATUS, STATUS_COLUMNS
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import ensure_table

pytestmark = pytest.mark.slow

OUTCOME_MARTS = ("safety_net_enrollment", "workforce_outcomes", "student_outcomes")
STATEWIDE_MARTS = (
    ("safety_net", "safety_net_annual"),
    ("workforce", "workforce_outcomes_statewide"),
    ("education", "student_outcomes_statewide"),
)
PROGRAM = "county_fips VARCHAR, dob_year INTEGER, spell_start DATE, spell_end DATE, sex VARCHAR, "
PROGRAM += "race VARCHAR, ethnicity VARCHAR"
STAGING = {
    "snap_enrollment": PROGRAM,
    "tanf_enrollment": PROGRAM,
    "medicaid_enrollment": PROGRAM,
    "ui_claims": "claim_id VARCHAR, county_fips VARCHAR, dob_year INTEGER, claim_filed_date DATE, "
    "benefit_end_date DATE, weekly_benefit_amount DECIMAL(18,2), last_employer_fein VARCHAR",
    "ui_wages": "year BIGINT, quarter BIGINT, employer_fein VARCHAR, naics VARCHAR, "
    "wages DECIMAL(18,2), county_fips VARCHAR",
    "k12_enrollment": "school_year VARCHAR, district_id VARCHAR, school_id VARCHAR, "
    "grade_level VARCHAR, entry_date DATE, exit_date DATE, sex VARCHAR, race VARCHAR, "
    "hispanic VARCHAR, dob_year INTEGER",
    "k12_graduation": "district_id VARCHAR, graduation_date DATE, diploma_type VARCHAR",
    "postsecondary_enrollment": "institution_id VARCHAR, term VARCHAR, enroll_date DATE, "
    "dob_year INTEGER",
    "postsecondary_completion": "institution_id VARCHAR, completion_date DATE, "
    "award_level VARCHAR, cip_code VARCHAR, dob_year INTEGER",
}
GRADUATES = {"0010001": 25, "0020002": 3}  # per district


def seed(path: str) -> None:
    """14 SNAP exiters in county 17001 (12 employed) and 4 in 17003; 25 graduates in one
    district (15 enrolled) and 3 in another."""
    rows: dict[str, list[tuple]] = {name: [] for name in STAGING}
    for i in range(18):
        county = "17001" if i < 14 else "17003"
        rows["snap_enrollment"].append((f"S{i}", county, 1990, "2023-01-01", "2023-03-15"))
        rows["medicaid_enrollment"].append((f"S{i}", county, 1990, "2023-01-01", None))
        if i < 12:
            rows["ui_wages"].append((f"S{i}", 2023, 3, "123456789", "722511", 5000 + i, county))
    rows["ui_wages"].append(("S0", 2024, 4, "123456789", "722511", 100, "17001"))
    rows["tanf_enrollment"].append(("S0", "17001", 1990, "2023-01-01", "2023-02-01"))
    rows["ui_claims"].append(("S1", "UIC1", "17001", 1990, "2023-01-05", "2023-02-05", 300, None))
    for i in range(sum(GRADUATES.values())):
        district = "0010001" if i < GRADUATES["0010001"] else "0020002"
        rows["k12_enrollment"].append(
            (f"G{i}", "2022-2023", district, district + "01", "12", "2022-08-20", "2023-06-01")
        )
        rows["k12_graduation"].append((f"G{i}", district, "2023-06-01", "Regular"))
        if i < 15:
            rows["postsecondary_enrollment"].append((f"G{i}", "149003", "2023FA", "2023-08-20"))
    rows["postsecondary_completion"].append(
        ("G0", "149003", "2024-05-10", "Certificate", "51.0801")
    )
    with duckdb.connect(path) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE SCHEMA integrated")
        ensure_person_keys(con)
        ensure_table(con, EXTRACT_STATUS, STATUS_COLUMNS)
        for extract, columns in STAGING.items():
            con.execute(
                "INSERT INTO staging.extract_status (extract, status, deliveries) "
                "VALUES (?, 'loaded', 1)",
                [extract],
            )  # staged by hand here: delivered, so the marts are measurable
            con.execute(f"CREATE TABLE staging.{extract} (record_id VARCHAR, {columns})")
            names = [r[0] for r in con.execute(f"DESCRIBE staging.{extract}").fetchall()]
            for n, (person, *values) in enumerate(rows[extract]):
                record_id = f"{extract}_2023.txt:{n + 2}"
                marks = ", ".join("?" * (len(values) + 1))
                con.execute(
                    f"INSERT INTO staging.{extract} ({', '.join(names[: len(values) + 1])}) "
                    f"VALUES ({marks})",
                    [record_id, *values],
                )
                con.execute(
                    "INSERT INTO integrated.person_keys VALUES (?, ?, ?, true)",
                    [extract, record_id, "PK" + person],
                )


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    seed(str(tmp_path / "warehouse.duckdb"))
    return get_settings()


def materialize(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    defs = build_definitions()
    marts = [
        dg.AssetKey(["marts", d, m])
        for d, m in [
            ("safety_net", OUTCOME_MARTS[0]),
            ("workforce", OUTCOME_MARTS[1]),
            ("education", OUTCOME_MARTS[2]),
            *STATEWIDE_MARTS,
        ]
    ]
    # integrated.person_keys is seeded by hand above: person linkage itself is left out
    outcome_facts = dg.AssetSelection.groups("integrated") - dg.AssetSelection.key_prefixes(
        ["integrated", "procurement"], ["integrated", "linkage"]
    )
    selection = outcome_facts | dg.AssetSelection.assets(*marts, MART_STATUS_KEY, SNAPSHOT)
    return dg.materialize(
        list(defs.assets),
        selection=selection,
        instance=instance,
        resources=dict(defs.resources),
        raise_on_error=False,
    )


def test_outcomes_publish_only_gated_tables(warehouse, monkeypatch):
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize(instance)
        assert result.success
        checks = {
            (e.asset_key.path[-1], e.check_name): e.passed
            for e in result.get_asset_check_evaluations()
        }
        assert checks[("datalabs", DISCLOSURE_GATE)]
        assert checks[("benefit_spells", "grain_is_unique")]
        assert checks[("benefit_spells", "end_not_before_start")]
        assert instance.get_latest_materialization_event(PERSON_KEYS_KEY) is None  # seeded

        with duckdb.connect(str(warehouse.published_path), read_only=True) as pub:
            tables = {
                t for (t,) in pub.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            assert set(OUTCOME_MARTS) | {m for _, m in STATEWIDE_MARTS} <= tables
            # The 18 SNAP exiters of 2023 all exit in one quarter, once, every one with an SSN:
            # 18 of 18 reachable leaves a rest of 0, so the reachable count is hidden. The 12
            # employed lie within the reachable and so within the exiters: 18 - 12 = 6 not
            # employed hides them with their rates, on every row of both marts. The exiters are
            # at most safety_net_annual's 18 exits (its returns unobserved), equal here: shown,
            # they would give those exits, hidden there with its small counties, so they hide.
            state = pub.execute(
                "SELECT exiters, employed_q2_suppressed, employment_rate_q2_low_suppressed "
                "FROM workforce_outcomes_statewide WHERE program = 'SNAP' AND breakdown = 'all'"
            ).fetchall()
            assert state == [(None, True, True)]
            # 17001: 14 exiters, 12 employed, rest 2 < 10 -> hidden with its rate;
            # 17003: 4 exiters hidden, so 17001's 14 goes too (each is 1 to 17 of the 18).
            snap = {
                r[0]: r[1:]
                for r in pub.execute(
                    "SELECT county_fips, exiters, exiters_suppressed, employed_q2, "
                    "employed_q2_suppressed, employment_rate_q2_suppressed FROM workforce_outcomes "
                    "WHERE program = 'SNAP'"
                ).fetchall()
            }
            assert snap["17003"] == (None, True, None, True, True)
            assert snap["17001"] == (None, True, None, True, True)
            assert snap["ALL"] == (None, True, None, True, True)  # the year's 18, one quarter
            students = {
                r[0]: r[1:]
                for r in pub.execute(
                    "SELECT district_id, graduates, enrolled_16m, enrolled_16m_suppressed "
                    "FROM student_outcomes"
                ).fetchall()
            }
            assert students["0020002"][0] is None  # 3 graduates < 10: suppressed
            assert students["ALL"][0] == sum(GRADUATES.values())  # the state row is shown
        with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as con:
            # the warehouse keeps the unsuppressed mart, without companion columns
            assert con.execute(
                "SELECT exiters FROM marts.workforce_outcomes WHERE program = 'SNAP' "
                "AND county_fips = '17003'"
            ).fetchone() == (4,)

        # a gate that finds a problem keeps the previous snapshot in place
        before = warehouse.published_path.read_bytes()
        monkeypatch.setattr(snapshot, "verify_gated", lambda *a: ["planted problem"])
        failed = materialize(instance)
        assert not failed.success
        gate = [e for e in failed.get_asset_check_evaluations() if e.check_name == DISCLOSURE_GATE]
        assert gate and not gate[0].passed
        assert warehouse.published_path.read_bytes() == before
        assert not list(warehouse.published_dir.glob(".*.tmp"))
