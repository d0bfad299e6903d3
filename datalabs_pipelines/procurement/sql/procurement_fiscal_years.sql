-- One row per fiscal year the payments and awards touch, with its first and last day.
-- Parameters: $fy_start.
WITH years AS (
    SELECT DISTINCT fiscal_year FROM integrated.procurement_payments WHERE fiscal_year IS NOT NULL
    UNION
    SELECT DISTINCT fiscal_year FROM integrated.procurement_awards WHERE fiscal_year IS NOT NULL
)
SELECT fiscal_year,
       fiscal_year_start(fiscal_year, $fy_start) AS starts_on,
       (fiscal_year_start(fiscal_year, $fy_start) + INTERVAL 1 YEAR - INTERVAL 1 DAY)::DATE
           AS ends_on
FROM years ORDER BY fiscal_year
