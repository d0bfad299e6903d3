"""Incremental against full person linkage on one warehouse: how many records' keys differ.

``python -m datalabs_pipelines.evaluation.incremental_linkage --warehouse W [--before B]``
copies the warehouse (linkage writes: the original is never touched), links its person records
incrementally from its cache, as the nightly run does, keeps the result, then re-clusters the
same records from scratch (``full_relink``), and reports:

- ``records_key_changed``: records whose key the full run moves (keys persist, so this is what
  the monthly full run would change after the incremental one);
- ``records_in_differing_clusters``: records whose set of co-members differs between the two
  partitions (every record of a cluster one merged and the other did not counts);
- for each run, CPU seconds of the process (DuckDB's threads included), profiles, new profiles,
  pairs scored by Splink and pairs kept from the cache;
- how the two runs' kept scores differ: pairs in one only (one whose score crossed the
  probability pairs are kept from since it was scored), pairs linked in one only, the largest
  change of match weight (none, since kept scores follow the term frequencies);
- ``kept_preparation_tables_differing``: the kept preparation tables (``linkage/prepared.py``)
  whose rows the full run's preparation changes (none, when the kept one is exact).

With ``--before B`` (a copy of the same warehouse taken before the night's linkage), the copy's
linkage state (crosswalk, key changes, cache and kept preparation) is first taken from B, so
the incremental run does tonight's work again rather than finding nothing new.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.declaration import load_declaration
from datalabs_pipelines.linkage.keys import CHANGES, CROSSWALK
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.persons import CACHE, KEPT, person_entity
from datalabs_pipelines.linkage.run import LinkageResult, link
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.warehouse import qualified

LINKAGE_STATE = (
    CROSSWALK, CHANGES, CACHE.profiles, CACHE.pairs, KEPT.records, KEPT.profiles, KEPT.deliveries
)  # fmt: skip
INCREMENTAL_KEYS = "eval_incremental_keys"  # TEMP (source_extract, record_id, k)
FULL_KEYS = "eval_full_keys"


def rewind(con: duckdb.DuckDBPyConnection, before: Path) -> None:
    """Replace the linkage state of ``con``'s warehouse by the one in ``before`` (a table
    ``before`` lacks is dropped: a kept preparation from before its time would be dropped too)."""
    con.execute(f"ATTACH '{before}' AS before (READ_ONLY)")
    try:
        for table in LINKAGE_STATE:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'before' "
                "AND table_schema = ? AND table_name = ?",
                list(table),
            ).fetchone()[0]
            if found:
                con.execute(
                    f"CREATE OR REPLACE TABLE {qualified(table)} AS FROM before.{qualified(table)}"
                )
            else:
                con.execute(f"DROP TABLE IF EXISTS {qualified(table)}")
    finally:
        con.execute("DETACH before")


def _keys(con: duckdb.DuckDBPyConnection, into: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {into} AS "
        f"SELECT source_extract, record_id, person_key AS k FROM {qualified(CROSSWALK)}"
    )


def differing(con: duckdb.DuckDBPyConnection, a: str, b: str) -> dict[str, Any]:
    """Records (of ``a`` and ``b``: source_extract, record_id, k) whose key differs, and whose
    cluster (the records sharing its key) differs, in all and by extract."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _joined AS
        SELECT source_extract, a.k AS ka, b.k AS kb
        FROM {a} a JOIN {b} b USING (source_extract, record_id)
        """
    )
    by_extract = con.execute(
        """
        WITH na AS (SELECT ka, count(*) AS n FROM _joined GROUP BY ka),
        nb AS (SELECT kb, count(*) AS n FROM _joined GROUP BY kb),
        nab AS (SELECT ka, kb, count(*) AS n FROM _joined GROUP BY ka, kb),
        moved AS (
            SELECT ka, kb FROM nab JOIN na USING (ka) JOIN nb USING (kb)
            WHERE nab.n <> na.n OR nab.n <> nb.n
        )
        SELECT source_extract, count(*) FROM _joined SEMI JOIN moved USING (ka, kb)
        GROUP BY ALL ORDER BY 2 DESC, 1
        """
    ).fetchall()
    records, changed = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE ka <> kb) FROM _joined"
    ).fetchone()
    con.execute("DROP TABLE _joined")
    return {
        "records": records,
        "records_key_changed": changed,
        "records_in_differing_clusters": sum(n for _, n in by_extract),
        "by_extract": dict(by_extract),
    }


def drift(con: duckdb.DuckDBPyConnection, a: str, b: str, threshold: float) -> dict[str, Any]:
    """Pairs of two score caches (``a``: incremental, ``b``: full) that differ: in one only,
    on either side of ``threshold``, and the largest change of match weight (kept scores
    follow the term frequencies, ``linkage/kept_scores.py``: rounding, where they move)."""
    only, flipped, largest = con.execute(
        f"""
        SELECT count(*) FILTER (WHERE a.id_l IS NULL OR b.id_l IS NULL),
               count(*) FILTER (WHERE (a.match_probability >= $t) <> (b.match_probability >= $t)),
               max(abs(a.match_weight - b.match_weight))
        FROM {a} a FULL JOIN {b} b USING (id_l, id_r)
        """,
        {"t": threshold},
    ).fetchone()
    return {
        "pairs_in_one_cache_only": only,
        "pairs_linked_in_one_only": flipped,
        "max_abs_weight_difference": largest,
    }


def _pairs(con: duckdb.DuckDBPyConnection, into: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS FROM {qualified(CACHE.pairs)}")


def _timed(con: duckdb.DuckDBPyConnection, run_id: str, full: bool) -> dict[str, Any]:
    sources = person_sources(all_contracts())
    declaration = load_declaration()
    started = time.process_time()
    result: LinkageResult = link(
        con, person_entity(sources, declaration), load_model(declaration.model_path), run_id,
        full=full,
    )  # fmt: skip
    keep = ("records_prepared", "prepared_in_full", "deterministic_links",
            "incremental", "full_reason", "profiles", "new_profiles", "pairs_compared",
            "pairs_cached", "scoring_cpu_seconds", "links", "entities", "new_keys", "merges",
            "splits")  # fmt: skip
    return {
        "cpu_seconds": round(time.process_time() - started, 2),
        **{k: getattr(result, k) for k in keep},
    }


def compare(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Incremental, then full person linkage on ``con`` (it writes); the report. Splink is
    imported first, so neither run's CPU includes the import."""
    import splink  # noqa: F401

    incremental = _timed(con, "compare-incremental", full=False)
    _keys(con, INCREMENTAL_KEYS)
    _pairs(con, "eval_incremental_pairs")
    prepared = _prepared_sums(con)
    full = _timed(con, "compare-full", full=True)
    kept_differing = [t for t, s in _prepared_sums(con).items() if prepared[t] != s]
    _keys(con, FULL_KEYS)
    _pairs(con, "eval_full_pairs")
    report = differing(con, INCREMENTAL_KEYS, FULL_KEYS)
    report["share_key_changed"] = report["records_key_changed"] / max(report["records"], 1)
    threshold = load_model(load_declaration().model_path).threshold_match_probability
    scores = drift(con, "eval_incremental_pairs", "eval_full_pairs", threshold)
    return {
        **report,
        **scores,
        "kept_preparation_tables_differing": kept_differing,
        "incremental": incremental,
        "full": full,
    }


def _prepared_sums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Each kept preparation table's row count and order-free hash of its rows."""
    return {
        qualified(t): con.execute(
            f"SELECT count(*), bit_xor(hash(CAST(r AS VARCHAR))) FROM {qualified(t)} r"
        ).fetchone()
        for t in (KEPT.records, KEPT.profiles)
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--before", type=Path, help="the warehouse before the night's linkage")
    parser.add_argument("--work", type=Path, help="folder for the copy (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the report here, as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        copy = Path(work) / "warehouse.duckdb"
        for suffix in ("", ".wal"):  # a run's last commits may still be in the log
            if (source := Path(f"{args.warehouse}{suffix}")).exists():
                shutil.copyfile(source, Path(f"{copy}{suffix}"))
        with duckdb.connect(str(copy)) as con:
            if args.before:
                rewind(con, args.before)
            report = compare(con)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
