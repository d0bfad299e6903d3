-- One row per agency, fiscal year, category (two-digit NAICS of what was bought) and program:
-- spend, spend with firms certified for the program on the payment date, and the goal.
CREATE OR REPLACE TABLE marts.procurement_utilization AS
WITH lines AS (
    SELECT agency_code, fiscal_year, category, coalesce(amount, 0) AS amount, certified_programs
    FROM integrated.procurement_payments
    WHERE fiscal_year IS NOT NULL
),
cells AS (
    SELECT l.agency_code, l.fiscal_year, l.category, g.program, g.goal_pct,
           sum(l.amount) AS total_paid,
           coalesce(sum(l.amount) FILTER (WHERE list_contains(l.certified_programs, g.program)),
                    0) AS certified_paid
    FROM lines l CROSS JOIN integrated.procurement_programs g
    GROUP BY ALL
)
SELECT agency_code,
       coalesce(a.agency_name, agency_code) AS agency_name,
       fiscal_year, category,
       CASE category WHEN '??' THEN 'Not recorded'
                     ELSE coalesce(n.sector_title, category) END AS category_title,
       program,
       total_paid::DECIMAL(18, 2) AS total_paid,
       certified_paid::DECIMAL(18, 2) AS certified_paid,
       round(100 * certified_paid / nullif(total_paid, 0), 2)::DOUBLE AS utilization_pct,
       goal_pct,
       round(goal_pct - 100 * certified_paid / nullif(total_paid, 0), 2)::DOUBLE AS gap_to_goal_pct
FROM cells
LEFT JOIN ref_agencies a USING (agency_code)
LEFT JOIN ref_naics_sectors n ON n.naics2 = category
ORDER BY agency_code, fiscal_year, category, program;
