-- One row per staged payment line of every contract filling the payments role, on the business
-- paid, dated, in its fiscal year and category, with the programs whose certification covered
-- it on that date. The agency is the contract's value map of agency_code where it has one.
-- A void counts on the date of the payment it reverses (same extract) so it reverses exactly
-- what that payment counted; a refund without a reference counts on its own date.
-- Parameters: $fy_start.
CREATE OR REPLACE TABLE integrated.procurement_payments AS
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
lines AS (
    SELECT p.* REPLACE (coalesce(a.agency_code, p.agency_code) AS agency_code),
           o.payment_date AS voided_payment_date,
           coalesce(o.payment_date, p.payment_date) AS effective_date
    FROM role_payments p
    LEFT JOIN agencies a
      ON a.source_extract = p.source_extract AND a.code = upper(trim(p.agency_code))
    LEFT JOIN (
        SELECT source_extract, payment_id, min(payment_date) AS payment_date
        FROM role_payments GROUP BY source_extract, payment_id
    ) o ON o.source_extract = p.source_extract AND o.payment_id = p.voids_payment_id
),
covered AS (
    SELECT l.source_extract, l.record_id, list(DISTINCT c.program ORDER BY c.program) AS programs
    FROM lines l
    JOIN vendors v USING (vendor_id)
    JOIN integrated.certifications c
      ON c.vendor_key = v.vendor_key AND c.flag IS NULL
     AND l.effective_date BETWEEN c.valid_from AND c.valid_to
    GROUP BY l.source_extract, l.record_id
)
SELECT l.source_extract,
       l.record_id,
       l.payment_id,
       l.vendor_id,
       v.vendor_key,
       l.agency_code,
       l.payment_date,
       l.effective_date,
       fiscal_year(l.effective_date, $fy_start) AS fiscal_year,
       coalesce(nullif(left(trim(l.category_naics), 2), ''), '??') AS category,
       l.amount,
       l.voids_payment_id,
       coalesce(c.programs, []::VARCHAR[]) AS certified_programs,
       CASE WHEN l.amount IS NULL THEN 'unparseable_amount'
            WHEN v.vendor_key IS NULL THEN 'vendor_not_in_master'
            WHEN l.voids_payment_id IS NOT NULL AND l.voided_payment_date IS NULL
                THEN 'void_of_unknown_payment'
       END AS flag
FROM lines l
LEFT JOIN vendors v USING (vendor_id)
LEFT JOIN covered c USING (source_extract, record_id)
ORDER BY l.payment_date, l.payment_id, l.source_extract;
