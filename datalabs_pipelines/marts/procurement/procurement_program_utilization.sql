-- One row per fiscal year, agency (agency 'ALL': the state), basis (contract awards or
-- payments), program and certified-firm category (ownership; 'all' = any certification of the
-- program): spend, spend with firms certified on the line's date, and the program's goal
-- measured on each basis.
CREATE OR REPLACE TABLE marts.procurement_program_utilization AS
WITH lines AS (
    SELECT 'payments' AS basis, record_id, coalesce(agency_code, 'unknown') AS agency_code,
           fiscal_year, vendor_key, effective_date AS on_date, coalesce(amount, 0) AS amount
    FROM integrated.procurement_payments
    WHERE fiscal_year IS NOT NULL
    UNION ALL
    SELECT 'awards', record_id, coalesce(agency_code, 'unknown'), fiscal_year, vendor_key,
           award_date, coalesce(award_amount, 0)
    FROM integrated.procurement_awards
    WHERE fiscal_year IS NOT NULL
),
coverage AS (
    SELECT date_trunc('month', min(on_date))::DATE AS first_day,
           last_day(max(on_date)) AS last_day
    FROM lines
),
certified AS (
    -- the programs and ownership categories whose certification covered the line on its date
    -- (a payment's effective date, an award's date), as in integrated.procurement_payments
    SELECT DISTINCT l.basis, l.record_id, c.program, c.ownership
    FROM lines l
    JOIN integrated.certifications c
      ON c.vendor_key = l.vendor_key AND c.flag IS NULL
     AND l.on_date BETWEEN c.valid_from AND c.valid_to
),
categories AS (
    SELECT basis, record_id, program, ownership FROM certified
    UNION
    SELECT basis, record_id, program, 'all' FROM certified
),
grid AS (
    SELECT program, ownership
    FROM (
        SELECT any_value(value) FILTER (WHERE field = 'program') AS program,
               any_value(value) FILTER (WHERE field = 'ownership') AS ownership
        FROM integrated.value_maps
        WHERE column_name = 'certification_type'
        GROUP BY source_extract, code
    )
    WHERE program IS NOT NULL
    UNION
    SELECT program, 'all' FROM integrated.procurement_programs
),
totals AS (
    SELECT fiscal_year, coalesce(agency_code, 'ALL') AS agency_code, basis,
           sum(amount) AS total_amount
    FROM lines
    GROUP BY GROUPING SETS ((fiscal_year, agency_code, basis), (fiscal_year, basis))
),
certified_cells AS (
    SELECT l.fiscal_year, coalesce(l.agency_code, 'ALL') AS agency_code, l.basis, k.program,
           k.ownership, sum(l.amount) AS certified_amount
    FROM lines l
    JOIN categories k USING (basis, record_id)
    GROUP BY GROUPING SETS ((l.fiscal_year, l.agency_code, l.basis, k.program, k.ownership),
                            (l.fiscal_year, l.basis, k.program, k.ownership))
)
SELECT t.fiscal_year,
       coalesce(f.starts_on >= v.first_day AND f.ends_on <= v.last_day, false)
           AS fiscal_year_complete,
       t.agency_code,
       CASE t.agency_code WHEN 'ALL' THEN 'All agencies'
                          ELSE coalesce(a.agency_name, t.agency_code) END AS agency_name,
       t.basis,
       g.program,
       p.description AS program_name,
       g.ownership,
       t.total_amount::DECIMAL(18, 2) AS total_amount,
       coalesce(c.certified_amount, 0)::DECIMAL(18, 2) AS certified_amount,
       round(100 * coalesce(c.certified_amount, 0) / nullif(t.total_amount, 0), 2)::DOUBLE
           AS utilization_pct,
       CASE WHEN g.ownership = 'all' THEN p.goal_pct END AS goal_pct,
       CASE WHEN g.ownership = 'all' THEN
           round(p.goal_pct - 100 * coalesce(c.certified_amount, 0) / nullif(t.total_amount, 0),
                 2)::DOUBLE
       END AS gap_to_goal_pp
FROM totals t
CROSS JOIN grid g
CROSS JOIN coverage v
LEFT JOIN certified_cells c USING (fiscal_year, agency_code, basis, program, ownership)
LEFT JOIN integrated.procurement_programs p ON p.program = g.program
LEFT JOIN integrated.procurement_fiscal_years f ON f.fiscal_year = t.fiscal_year
LEFT JOIN ref_agencies a ON a.agency_code = t.agency_code
ORDER BY t.fiscal_year, t.agency_code, t.basis, g.program, g.ownership;
