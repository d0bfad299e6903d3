-- One row per category and fiscal year: availability of certified businesses among registered
-- vendors against their share of spend (disparity index), with flags.
CREATE OR REPLACE TABLE marts.procurement_disparity AS
WITH params AS (SELECT * FROM integrated.procurement_parameters),
registered AS (
    SELECT f.fiscal_year, b.category, b.vendor_key
    FROM integrated.procurement_fiscal_years f
    JOIN integrated.procurement_businesses b
      ON b.vendor_records > 0 AND b.first_registered <= f.ends_on
),
available AS (
    SELECT r.fiscal_year, r.category,
           count(DISTINCT r.vendor_key) AS registered_vendors,
           count(DISTINCT r.vendor_key) FILTER (WHERE EXISTS (
               SELECT 1 FROM integrated.certifications c, integrated.procurement_fiscal_years f
               WHERE c.vendor_key = r.vendor_key AND c.flag IS NULL
                 AND f.fiscal_year = r.fiscal_year
                 AND c.valid_from <= f.ends_on AND c.valid_to >= f.starts_on
           )) AS certified_firms
    FROM registered r
    GROUP BY ALL
),
spend AS (
    SELECT fiscal_year, category,
           sum(coalesce(amount, 0)) AS total_paid,
           coalesce(sum(coalesce(amount, 0)) FILTER (WHERE len(certified_programs) > 0), 0)
               AS certified_paid
    FROM integrated.procurement_payments
    WHERE fiscal_year IS NOT NULL
    GROUP BY ALL
),
cells AS (
    SELECT coalesce(a.fiscal_year, s.fiscal_year) AS fiscal_year,
           coalesce(a.category, s.category) AS category,
           coalesce(a.registered_vendors, 0) AS registered_vendors,
           coalesce(a.certified_firms, 0) AS certified_firms,
           coalesce(s.total_paid, 0) AS total_paid,
           coalesce(s.certified_paid, 0) AS certified_paid
    FROM available a FULL JOIN spend s USING (fiscal_year, category)
),
measured AS (
    SELECT *,
           100.0 * certified_firms / nullif(registered_vendors, 0) AS availability_pct,
           100.0 * certified_paid / nullif(total_paid, 0) AS utilization_share_pct
    FROM cells
)
SELECT category,
       CASE category WHEN '??' THEN 'Not recorded'
                     ELSE coalesce(n.sector_title, category) END AS category_title,
       fiscal_year, registered_vendors, certified_firms,
       round(availability_pct, 2)::DOUBLE AS availability_pct,
       total_paid::DECIMAL(18, 2) AS total_paid,
       certified_paid::DECIMAL(18, 2) AS certified_paid,
       round(utilization_share_pct, 2)::DOUBLE AS utilization_share_pct,
       round(utilization_share_pct / nullif(availability_pct, 0), 3)::DOUBLE AS disparity_index,
       coalesce(utilization_share_pct / nullif(availability_pct, 0) < p.disparity_threshold,
                false) AS below_threshold,
       coalesce(certified_firms >= p.min_available_firms AND total_paid > 0
                AND utilization_share_pct / availability_pct < p.disparity_threshold, false)
           AS area_for_improvement
FROM measured
CROSS JOIN params p
LEFT JOIN ref_naics_sectors n ON n.naics2 = category
ORDER BY category, fiscal_year;
