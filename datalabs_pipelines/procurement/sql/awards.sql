-- One row per staged contract award, on the business awarded, with the programs whose
-- certification covered it on the award date. Parameters: $fy_start.
CREATE OR REPLACE TABLE integrated.procurement_awards AS
WITH vendors AS (
    SELECT v.vendor_id, k.vendor_key
    FROM staging.vendor_master v
    JOIN integrated.vendor_keys k
      ON k.source_extract = 'vendor_master' AND k.record_id = v.record_id
),
covered AS (
    SELECT a.record_id, list(DISTINCT c.program ORDER BY c.program) AS programs
    FROM staging.contract_awards a
    JOIN vendors v USING (vendor_id)
    JOIN integrated.certifications c
      ON c.vendor_key = v.vendor_key AND c.flag IS NULL
     AND a.award_date BETWEEN c.valid_from AND c.valid_to
    GROUP BY a.record_id
)
SELECT a.record_id,
       a.award_id,
       a.contract_id,
       a.vendor_id,
       v.vendor_key,
       a.agency_code,
       a.award_date,
       year(a.award_date)
           + CASE WHEN $fy_start > 1 AND month(a.award_date) >= $fy_start THEN 1 ELSE 0 END
           AS fiscal_year,
       coalesce(nullif(left(trim(a.naics), 2), ''), '??') AS category,
       a.award_amount,
       coalesce(c.programs, []::VARCHAR[]) AS certified_programs,
       CASE WHEN a.award_amount IS NULL THEN 'unparseable_amount'
            WHEN v.vendor_key IS NULL THEN 'vendor_not_in_master'
       END AS flag
FROM staging.contract_awards a
LEFT JOIN vendors v USING (vendor_id)
LEFT JOIN covered c USING (record_id)
ORDER BY a.award_date, a.award_id;
