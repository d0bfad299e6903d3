"""Kept preparation: a night prepares only the records of new deliveries and redraws only the
deterministic clusters they touch, and ends where a full preparation of the same records ends.

The hand-made cohort of ``test_cohort`` is staged by delivery (a ``_delivery`` column and the
staged lines the version of a delivery is read from). Delivery ``d2`` then brings records that:
weld two deterministic clusters of ``d1`` (two K-12 students named Maria Garcia, each under
her own student id, now sharing a new SSN), join an existing node without a key (a
SNAP record under member id SM2), join a person by SSN (Luis Ortega's wage SSN, corroborated by
name), and found a person of their own.
"""

import datetime as dt
import random
from dataclasses import replace

import duckdb
import pytest

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.persons import KEPT, person_entity
from datalabs_pipelines.linkage.run import link, prepare_for_link
from datalabs_pipelines_tests.linkage.test_cohort import load_cohort, partition

D = dt.date
LOADED = dt.datetime(2026, 1, 1)
ARRIVING = [
    ("k12_enrollment", "k9", {"student_id": "0000000001", "sex": "F"},
     {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 5, 17), "ssn": "456123789"}),
    ("k12_enrollment", "k10", {"student_id": "0000000002", "sex": "F"},
     {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 11, 2), "ssn": "456123789"}),
    ("snap_enrollment", "s9", {"member_id": "SM2", "sex": "M"},
     {"first_name": "JIM", "last_name": "BROWN", "dob": D(1975, 1, 1)}),
    ("ui_claims", "c9", {"claim_id": "CL9"},
     {"first_name": "LUIS", "last_name": "ORTEGA", "dob": D(2005, 8, 9), "ssn": "345678912"}),
    ("ui_claims", "c10", {"claim_id": "CL10"},
     {"first_name": "ZELDA", "last_name": "QUIMBY", "dob": D(1970, 1, 1), "ssn": "567891234"}),
]  # fmt: skip


def stage_by_delivery(con, sources) -> None:
    """Every cohort record in delivery ``d1``, with its staged line."""
    for name in sources:
        con.execute(f"ALTER TABLE staging.{name} ADD COLUMN _delivery VARCHAR DEFAULT 'd1'")
        con.execute(
            f"CREATE TABLE pii.{name}_staged_lines AS SELECT record_id, _delivery, "
            "CAST($loaded AS TIMESTAMP) AS _loaded_at, 'typed-1' AS _staged_with "
            f"FROM staging.{name}",
            {"loaded": LOADED},
        )


def deliver(con, rows, delivery: str) -> None:
    for extract, record_id, open_values, identities in rows:
        tables = ((f"staging.{extract}", {**open_values, "_delivery": delivery}),
                  (f"pii.{extract}_identities", identities))  # fmt: skip
        for table, values in tables:
            columns = ["record_id", *values]
            con.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [record_id, *values.values()],
            )
        con.execute(
            f"INSERT INTO pii.{extract}_staged_lines VALUES (?, ?, ?, 'typed-1')",
            [record_id, delivery, LOADED],
        )


def reload(con, delivery: str) -> None:
    """The delivery loaded again: its staged lines carry a later load time."""
    for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%_staged_lines'"
    ).fetchall():
        con.execute(
            f"UPDATE pii.{name} SET _loaded_at = _loaded_at + INTERVAL 1 DAY WHERE _delivery = ?",
            [delivery],
        )


def withdraw(con, delivery: str) -> None:
    """The delivery withdrawn: its rows leave staging and its staged lines."""
    for extract in con.execute(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'staging' AND column_name = '_delivery'"
    ).fetchall():
        con.execute(f"DELETE FROM staging.{extract[0]} WHERE _delivery = ?", [delivery])
        con.execute(f"DELETE FROM pii.{extract[0]}_staged_lines WHERE _delivery = ?", [delivery])


def correct(con, rng, delivery: str) -> None:
    """The delivery corrected and loaded again: a fifth of its records drop out and about a
    third carry another SSN, name or date of birth (splitting, moving and welding the
    clusters they sat in)."""
    for (extract,) in con.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE table_schema = 'staging' AND column_name = '_delivery'"
    ).fetchall():
        ids = [r for (r,) in con.execute(
            f"SELECT record_id FROM staging.{extract} WHERE _delivery = ? ORDER BY 1", [delivery]
        ).fetchall()]  # fmt: skip
        columns = {c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'pii' AND table_name = ?", [f"{extract}_identities"]
        ).fetchall()}  # fmt: skip
        for record in ids:
            draw = rng.random()
            if draw < 0.2:
                con.execute(f"DELETE FROM staging.{extract} WHERE record_id = ?", [record])
                con.execute(f"DELETE FROM pii.{extract}_staged_lines WHERE record_id = ?", [record])
            elif draw < 0.55 and columns:
                column, value = rng.choice([
                    ("ssn", rng.choice(SSNS)),
                    ("first_name", rng.choice(FIRST)),
                    ("last_name", rng.choice(LAST)),
                    ("dob", rng.choice(DOBS)),
                    ("full_name", " ".join(n for n in (rng.choice(LAST), rng.choice(FIRST)) if n)),
                ])  # fmt: skip
                if column in columns:
                    con.execute(
                        f"UPDATE pii.{extract}_identities SET {column} = ? WHERE record_id = ?",
                        [value, record],
                    )
    reload(con, delivery)


def kept(con) -> tuple[set, set]:
    """The kept records (with cluster and profile) and profiles, as sets of rows."""
    return tuple(
        {repr(row) for row in con.execute(f"SELECT * FROM {'.'.join(t)}").fetchall()}
        for t in (KEPT.records, KEPT.profiles)
    )


def keys(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())


@pytest.fixture(scope="module")
def nights():
    """Night 1 prepares everything (nothing kept); night 2, after ``d2``, only ``d2``. Yields
    (connection, sources, model, night 1, night 2, keys before, keys after)."""
    model = load_model()
    with duckdb.connect() as con:
        sources = load_cohort(con)
        stage_by_delivery(con, sources)
        first = link(con, person_entity(sources), model, "night-1")
        before = keys(con)
        deliver(con, ARRIVING, "d2")
        second = link(con, person_entity(sources), model, "night-2")
        yield con, sources, model, first, second, before, keys(con)


def test_first_night_prepares_everything(nights):
    *_, first, _, _, _ = nights
    assert first.prepared_in_full == "nothing kept"
    assert first.records_prepared == first.records


def test_second_night_prepares_only_the_new_delivery_and_keeps_all(nights):
    con, _, _, first, second, _, _ = nights
    assert second.prepared_in_full == ""
    assert second.records_prepared == len(ARRIVING)
    assert second.records == first.records + len(ARRIVING)
    records, profiles = kept(con)
    assert len(records) == second.records and len(profiles) == second.profiles


def test_kept_preparation_equals_a_full_one(nights):
    con, sources, model, _, second, _, after = nights
    incremental = kept(con)
    # the two Maria Garcia students now share one deterministic cluster
    clusters = dict(
        con.execute(
            f"SELECT record_id, cluster0 FROM {'.'.join(KEPT.records)} "
            "WHERE record_id IN ('k1', 'k2', 'k3', 'k9', 'k10')"
        ).fetchall()
    )
    assert len(set(clusters.values())) == 1
    full = link(con, person_entity(sources), model, "night-2-full", full=True)
    assert full.prepared_in_full == "full_relink requested"
    assert kept(con) == incremental
    assert (full.records, full.profiles) == (second.records, second.profiles)
    assert partition(keys(con)) == partition(after) and full.new_keys == 0


def test_the_arrivals_join_weld_and_found_persons(nights):
    *_, before, after = nights
    assert after["k9"] == after["k10"] == after["k1"] == after["k3"]
    assert after["s9"] == after["s3"] == before["s3"]
    assert after["c9"] == after["w5"] == before["w5"]
    assert after["c10"] not in set(before.values())


def test_another_preparation_prepares_everything_and_a_reload_only_its_delivery(nights):
    con, sources, model, *_ = nights
    again = link(con, person_entity(sources), model, "night-3")
    assert again.prepared_in_full == "" and again.records_prepared == 0
    assert again.records_removed == 0
    entity = person_entity(sources)
    changed = replace(entity, kept=replace(entity.kept, stamp="another"))
    assert link(con, changed, model, "night-4").prepared_in_full == "preparation changed"
    assert link(con, entity, model, "night-4b").prepared_in_full == "preparation changed"
    before = keys(con)
    reload(con, "d2")  # loaded again as it was: the same records come back, nothing moves
    reloaded = link(con, person_entity(sources), model, "night-5")
    assert reloaded.prepared_in_full == reloaded.clustered_in_full == ""
    assert reloaded.records_prepared == len(ARRIVING) and reloaded.records_removed == 0
    assert (reloaded.records_clustered, reloaded.records_joining) == (0, 0)
    assert keys(con) == before
    withdraw(con, "d2")  # the two Maria Garcia students part again
    withdrawn = link(con, person_entity(sources), model, "night-6")
    assert withdrawn.prepared_in_full == "" and withdrawn.records_prepared == 0
    assert withdrawn.records_removed == len(ARRIVING)
    assert withdrawn.records == reloaded.records - len(ARRIVING)
    incremental, after = kept(con), keys(con)
    assert after["k1"] != after["k3"] and before["k1"] == before["k3"]
    link(con, person_entity(sources), model, "night-6-full", full=True)
    assert kept(con) == incremental
    assert partition(keys(con)) == partition(after)
    reload(con, "d1")  # most kept records: preparing everything is cheaper
    assert link(con, entity, model, "night-7").prepared_in_full == (
        "most kept records were reloaded or withdrawn"
    )


def test_a_source_not_staged_by_delivery_prepares_everything_every_night():
    with duckdb.connect() as con:
        sources = load_cohort(con)
        for night in ("night-1", "night-2"):
            result = link(con, person_entity(sources), load_model(), night)
            assert result.prepared_in_full == "a source is not staged by delivery"
        deliveries = con.execute(f"SELECT count(*) FROM {'.'.join(KEPT.deliveries)}")
        assert deliveries.fetchone()[0] == 0


def wage(record: str, full_name: str, ssn: str) -> tuple:
    return (
        "ui_wages",
        record,
        {"employer_fein": "361234567"},
        {"full_name": full_name, "ssn": ssn},
    )


# Zed Alpha's first wage record labels her cluster (the smallest node); Yan Beta's does not
WITHDRAWN = [wage("a0", "ALPHA ZED", "678912345"), wage("z1", "BETA YAN", "789123456")]
STAYING = [wage(r, "ALPHA ZED", "678912345") for r in ("b0",)] + [
    wage(r, "BETA YAN", "789123456") for r in ("b2", "b3")
]


def test_a_withdrawn_record_relabels_its_cluster_or_goes_alone_without_dissolving_it():
    """A wage record whose name and SSN another record still carries: taking it out keeps its
    cluster whole. Where its node labelled the cluster, the cluster takes its next node's
    label (its profiles follow); where not, nothing but the record goes (not structural)."""
    with duckdb.connect() as con:
        sources = load_cohort(con)
        stage_by_delivery(con, sources)
        deliver(con, WITHDRAWN, "e1")
        deliver(con, STAYING, "e2")
        entity = person_entity(sources)
        prepare_for_link(con, entity, full=False)
        withdraw(con, "e1")
        prepared = prepare_for_link(con, entity, full=False)
        assert prepared.full_reason == "" and prepared.records_removed == 2
        removed = dict(con.execute("SELECT record_id, structural FROM lk_kept_removed").fetchall())
        assert removed == {"a0": True, "z1": False}
        clusters = dict(
            con.execute(
                f"SELECT record_id, cluster0 FROM {'.'.join(KEPT.records)} "
                "WHERE record_id IN ('b0', 'b2', 'b3')"
            ).fetchall()
        )
        assert clusters == {"b0": "ui_wages:b0", "b2": "ui_wages:b2", "b3": "ui_wages:b2"}
        incremental = kept(con)
        prepare_for_link(con, entity, full=True)
        assert kept(con) == incremental


FIRST = ("ANA", "ANNA", "JOHN", "JON", "MARIA", "MARY", "LUIS", "LOUIS", None)
LAST = ("GARCIA", "GARSIA", "SMITH", "SMYTH", "LEE", None)
SSNS = (*(f"{n:03d}45{n:04d}" for n in range(101, 113)), None)
DOBS = (D(1980, 3, 4), D(1980, 4, 3), D(1990, 1, 2), D(1975, 12, 11), D(2001, 7, 9), None)


def random_people(rng) -> list[tuple]:
    """Twelve people (first, last, SSN, date of birth) drawn from few values: namesakes abound."""
    return [
        (rng.choice(FIRST), rng.choice(LAST), rng.choice(SSNS), rng.choice(DOBS)) for _ in range(12)
    ]


def change(con, rng, kind: str, delivery: str) -> None:
    """A delivery corrected, withdrawn or reloaded as it was."""
    if kind == "correct":
        correct(con, rng, delivery)
    elif kind == "withdraw":
        withdraw(con, delivery)
    else:
        reload(con, delivery)


def random_rows(rng, people: list[tuple], delivery: str, count: int) -> list[tuple]:
    """Records of ``people`` (first, last, SSN, date of birth), a third of them with one field
    drawn again, under agency ids shared far more often than real ones: deliveries that weld,
    join and found clusters in every combination."""
    rows = []
    for i in range(count):
        first, last, ssn, dob = rng.choice(people)
        if rng.random() < 0.3:
            field = rng.randrange(4)
            first = rng.choice(FIRST) if field == 0 else first
            last = rng.choice(LAST) if field == 1 else last
            ssn = rng.choice(SSNS) if field == 2 else ssn
            dob = rng.choice(DOBS) if field == 3 else dob
        record = f"{delivery}:{i}"
        named = {"first_name": first, "last_name": last, "dob": dob, "ssn": ssn}
        kind = rng.randrange(3)
        if kind == 0:
            member = {"member_id": f"SM{rng.randrange(15)}"}
            rows.append(("snap_enrollment", record, member, named))
        elif kind == 1:
            full = " ".join(n for n in (last, first) if n) or None
            wage = {"employer_fein": "361234567"}
            rows.append(("ui_wages", record, wage, {"full_name": full, "ssn": ssn}))
        else:
            rows.append(("ui_claims", record, {"claim_id": f"CL{i}"}, named))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kept_preparation_equals_a_full_one_on_random_deliveries(seed: int):
    rng = random.Random(seed)
    people = random_people(rng)
    with duckdb.connect() as con:
        sources = load_cohort(con)
        stage_by_delivery(con, sources)
        entity = person_entity(sources)
        assert prepare_for_link(con, entity, full=False).full_reason == "nothing kept"
        for night in range(2, 6):
            deliver(con, random_rows(rng, people, f"d{night}", 40), f"d{night}")
            prepared = prepare_for_link(con, entity, full=False)
            assert prepared.full_reason == "" and prepared.records_prepared == 40
        incremental = kept(con)
        full = prepare_for_link(con, entity, full=True)
        assert full.full_reason == "full_relink requested"
        assert kept(con) == incremental


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kept_preparation_equals_a_full_one_after_corrections_and_withdrawals(seed: int):
    rng = random.Random(seed)
    people = random_people(rng)
    with duckdb.connect() as con:
        sources = load_cohort(con)
        stage_by_delivery(con, sources)
        entity = person_entity(sources)
        for night in range(2, 5):
            deliver(con, random_rows(rng, people, f"d{night}", 40), f"d{night}")
        assert prepare_for_link(con, entity, full=False).full_reason == "nothing kept"
        changes = [("correct", "d3"), ("withdraw", "d2"), ("correct", "d5"), ("correct", "d4")]
        for night, (kind, delivery) in enumerate(changes, start=5):
            change(con, rng, kind, delivery)
            deliver(con, random_rows(rng, people, f"d{night}", 10), f"d{night}")
            prepared = prepare_for_link(con, entity, full=False)
            assert prepared.full_reason == "" and prepared.records_removed > 0
            incremental = kept(con)
            prepare_for_link(con, entity, full=True)
            assert kept(con) == incremental, (kind, delivery)
