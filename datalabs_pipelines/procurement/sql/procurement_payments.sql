-- One row per staged payment line of every contract filling the payments role, on the business
-- paid, dated, in its fiscal year and category, with the programs whose certification covered
-- it on that date. The agency is the contract's value map of agency_code where it has one.
-- A void counts on the date of the payment it reverses (same extract) so it reverses exactly
-- what that payment counted; a refund without a reference counts on its own date.
-- Parameters: $fy_start.
WITH vendors AS (SELECT * FROM vendor_keys_of(role_vendor_master)),
lines AS (
    SELECT p.*,
           v.vendor_key,
           o.payment_date AS voided_payment_date,
           coalesce(o.payment_date, p.payment_date) AS effective_date
    FROM with_agency_map(role_payments) p
    LEFT JOIN vendors v USING (vendor_id)
    LEFT JOIN (
        SELECT source_extract, payment_id, min(payment_date) AS payment_date
        FROM role_payments GROUP BY source_extract, payment_id
    ) o ON o.source_extract = p.source_extract AND o.payment_id = p.voids_payment_id
),
dated AS (SELECT source_extract, record_id, vendor_key, effective_date AS on_date FROM lines)
SELECT l.source_extract,
       l.record_id,
       l.payment_id,
       l.vendor_id,
       l.vendor_key,
       l.agency_code,
       l.payment_date,
       l.effective_date,
       fiscal_year(l.effective_date, $fy_start) AS fiscal_year,
       naics_category(l.category_naics) AS category,
       l.amount,
       l.voids_payment_id,
       coalesce(c.programs, []::VARCHAR[]) AS certified_programs,
       CASE WHEN l.amount IS NULL THEN 'unparseable_amount'
            WHEN l.vendor_key IS NULL THEN 'vendor_not_in_master'
            WHEN l.voids_payment_id IS NOT NULL AND l.voided_payment_date IS NULL
                THEN 'void_of_unknown_payment'
       END AS flag
FROM lines l
LEFT JOIN certified_programs(dated) c USING (source_extract, record_id)
ORDER BY l.payment_date, l.payment_id, l.source_extract
