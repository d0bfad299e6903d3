-- One row per staged award of every contract filling the awards role, on the business awarded,
-- with the programs whose certification covered it on the award date. The agency is the
-- contract's value map of agency_code where it has one. Parameters: $fy_start.
CREATE OR REPLACE TABLE integrated.procurement_awards AS
WITH vendors AS (
    SELECT v.vendor_id, min(k.vendor_key) AS vendor_key
    FROM role_vendor_master v
    JOIN integrated.vendor_keys k USING (source_extract, record_id)
    GROUP BY v.vendor_id
),
agencies AS (
    SELECT source_extract, code, value AS agency_code
    FROM integrated.value_maps
    WHERE column_name = 'agency_code' AND field = 'agency_code'
),
awards AS (
    SELECT a.* REPLACE (coalesce(m.agency_code, a.agency_code) AS agency_code)
    FROM role_awards a
    LEFT JOIN agencies m
      ON m.source_extract = a.source_extract AND m.code = upper(trim(a.agency_code))
),
covered AS (
    SELECT a.source_extract, a.record_id, list(DISTINCT c.program ORDER BY c.program) AS programs
    FROM awards a
    JOIN vendors v USING (vendor_id)
    JOIN integrated.certifications c
      ON c.vendor_key = v.vendor_key AND c.flag IS NULL
     AND a.award_date BETWEEN c.valid_from AND c.valid_to
    GROUP BY a.source_extract, a.record_id
)
SELECT a.source_extract,
       a.record_id,
       a.award_id,
       a.contract_id,
       a.vendor_id,
       v.vendor_key,
       a.agency_code,
       a.award_date,
       fiscal_year(a.award_date, $fy_start) AS fiscal_year,
       coalesce(nullif(left(trim(a.naics), 2), ''), '??') AS category,
       a.award_amount,
       coalesce(c.programs, []::VARCHAR[]) AS certified_programs,
       CASE WHEN a.award_amount IS NULL THEN 'unparseable_amount'
            WHEN v.vendor_key IS NULL THEN 'vendor_not_in_master'
       END AS flag
FROM awards a
LEFT JOIN vendors v USING (vendor_id)
LEFT JOIN covered c USING (source_extract, record_id)
ORDER BY a.award_date, a.award_id, a.source_extract;
