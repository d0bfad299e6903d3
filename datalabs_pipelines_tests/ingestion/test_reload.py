"""Loading a delivery again replaces its rows; loading one that was rejected before clears its
rejection. A delivery the ledgers do not record has nothing to replace, so a first load deletes
nothing (``loading._known``): these are the loads that must still replace."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.ingestion.loading import load_delivery, record_rejection
from datalabs_pipelines.ingestion.parsing import DeliveryRejected
from datalabs_pipelines.settings import get_settings

HEADER = "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT\n"
NAME = "people_2026.txt"
COUNTS = (
    "SELECT (SELECT count(*) FROM raw.people WHERE _delivery = $d), "
    "(SELECT count(*) FROM pii.people_raw WHERE _delivery = $d), "
    "(SELECT count(*) FROM pii.people_quarantine WHERE delivery = $d), "
    "(SELECT count(*) FROM raw.people_deliveries WHERE delivery = $d), "
    "(SELECT count(*) FROM raw.people_rejected_deliveries WHERE delivery = $d)"
)


def _load(text: str) -> tuple[int, int, int, int, int]:
    """Write ``text`` as the delivery, load it (recording a rejection as the load step does)
    and count its rows: raw, pii raw, quarantine, load ledger, rejection ledger."""
    (people,) = [c for c in all_contracts() if c.name == "people"]
    path = get_settings().landing_dir / "test_agency" / "people" / NAME
    path.write_text(text, encoding="latin-1")
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        try:
            load_delivery(con, people, path, NAME)
        except DeliveryRejected as exc:
            record_rejection(con, people, NAME, exc)
        return con.execute(COUNTS, {"d": NAME}).fetchone()


def test_a_reload_replaces_and_a_rejection_is_cleared(isolated_env):
    good = "7|Roe|Ann|05/06/1990|345678901|001|01/01/2026||$20.00\n"
    short = "8|Poe|Al\n"  # too few fields: quarantined
    assert _load("WHO|WHAT\n1|2\n") == (0, 0, 0, 0, 1)  # a header it does not know: rejected
    assert _load(HEADER + good + good.replace("7|Roe", "9|Loe")) == (2, 2, 0, 1, 0)
    assert _load(HEADER + good + short) == (1, 1, 1, 1, 0)  # replaced, not added to
    assert _load("WHO|WHAT\n1|2\n") == (1, 1, 1, 1, 1)  # rejected: the last version stays
    assert _load(HEADER + good) == (1, 1, 0, 1, 0)
