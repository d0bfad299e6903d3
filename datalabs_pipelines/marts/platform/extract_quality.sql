-- One row per extract and delivery: how its load and the extract's checks went. A delivery
-- whose replacement was rejected is one row, with the status of ingestion/loading.py's
-- REPLACEMENT_REJECTED (the previous version's counts); a withdrawn one keeps its row.
-- An extract with no delivery is one row ('not delivered', delivery NULL).
CREATE OR REPLACE TABLE marts.extract_quality AS
WITH checks AS (
    SELECT extract,
           count(*) FILTER (WHERE passed) AS checks_passed,
           count(*) FILTER (WHERE NOT passed) AS checks_failed,
           count(*) FILTER (WHERE NOT passed AND severity = 'error') AS blocking_checks_failed
    FROM staging.check_results
    GROUP BY extract
)
SELECT d.extract,
       d.delivery,
       CASE WHEN r.delivery IS NOT NULL
                THEN 'replacement rejected; the previous version is still in use'
            ELSE coalesce(d.status, 'loaded') END AS status,
       d.records_in_file,
       d.rows_loaded,
       d.rows_quarantined,
       CASE WHEN coalesce(d.status, 'loaded') = 'loaded'
                THEN d.records_in_file = d.rows_loaded + d.rows_quarantined
            WHEN d.status LIKE 'duplicate of %' THEN d.rows_loaded = 0
       END AS reconciles,
       coalesce(k.lines_collapsed, 0) AS lines_collapsed,
       k.amount_collapsed,
       coalesce(c.checks_passed, 0) AS checks_passed,
       coalesce(c.checks_failed, 0) AS checks_failed,
       coalesce(c.blocking_checks_failed, 0) AS blocking_checks_failed,
       r.rule AS rejection_rule,
       coalesce(r.rejected_at, d.withdrawn_at, d.loaded_at) AS load_time
FROM raw.deliveries d
LEFT JOIN raw.rejected_deliveries r USING (extract, delivery)
LEFT JOIN checks c USING (extract)
LEFT JOIN staging.collapsed_lines k USING (extract, delivery)
UNION ALL
SELECT r.extract, r.delivery, 'rejected', NULL, 0, 0, false, 0, NULL,
       coalesce(c.checks_passed, 0), coalesce(c.checks_failed, 0),
       coalesce(c.blocking_checks_failed, 0), r.rule, r.rejected_at
FROM raw.rejected_deliveries r
LEFT JOIN checks c USING (extract)
WHERE NOT EXISTS (
    SELECT 1 FROM raw.deliveries d WHERE d.extract = r.extract AND d.delivery = r.delivery
)
UNION ALL
SELECT s.extract, NULL, 'not delivered', NULL, 0, 0, NULL, 0, NULL, 0, 0, 0, NULL, NULL
FROM staging.extract_status s
WHERE s.status = 'not delivered'
ORDER BY extract, delivery;
