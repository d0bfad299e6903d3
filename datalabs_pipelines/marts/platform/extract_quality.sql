-- One row per extract and delivery: how its load and the extract's checks went; one row per
-- extract with no delivery ('not delivered', delivery NULL).
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
       'loaded' AS status,
       d.records_in_file,
       d.rows_loaded,
       d.rows_quarantined,
       (d.records_in_file = d.rows_loaded + d.rows_quarantined) AS reconciles,
       coalesce(c.checks_passed, 0) AS checks_passed,
       coalesce(c.checks_failed, 0) AS checks_failed,
       coalesce(c.blocking_checks_failed, 0) AS blocking_checks_failed,
       NULL::VARCHAR AS rejection_rule,
       d.loaded_at AS load_time
FROM raw.deliveries d
LEFT JOIN checks c USING (extract)
UNION ALL
SELECT r.extract, r.delivery, 'rejected', NULL, 0, 0, false,
       coalesce(c.checks_passed, 0), coalesce(c.checks_failed, 0),
       coalesce(c.blocking_checks_failed, 0), r.rule, r.rejected_at
FROM raw.rejected_deliveries r
LEFT JOIN checks c USING (extract)
UNION ALL
SELECT s.extract, NULL, 'not delivered', NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL
FROM staging.extract_status s
WHERE s.status = 'not delivered'
ORDER BY extract, delivery;
