-- One row per staged award of every contract filling the awards role, on the business awarded,
-- with the programs whose certification covered it on the award date. The agency is the
-- contract's value map of agency_code where it has one. Parameters: $fy_start.
WITH vendors AS (SELECT * FROM vendor_keys_of(role_vendor_master)),
awards AS (
    SELECT a.*, v.vendor_key
    FROM with_agency_map(role_awards) a
    LEFT JOIN vendors v USING (vendor_id)
),
dated AS (SELECT source_extract, record_id, vendor_key, award_date AS on_date FROM awards)
SELECT a.source_extract,
       a.record_id,
       a.award_id,
       a.contract_id,
       a.vendor_id,
       a.vendor_key,
       a.agency_code,
       a.award_date,
       fiscal_year(a.award_date, $fy_start) AS fiscal_year,
       naics_category(a.naics) AS category,
       a.award_amount,
       coalesce(c.programs, []::VARCHAR[]) AS certified_programs,
       CASE WHEN a.award_amount IS NULL THEN 'unparseable_amount'
            WHEN a.vendor_key IS NULL THEN 'vendor_not_in_master'
       END AS flag
FROM awards a
LEFT JOIN certified_programs(dated) c USING (source_extract, record_id)
ORDER BY a.award_date, a.award_id, a.source_extract
