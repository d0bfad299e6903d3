-- One row per program, exit quarter and county (county 'ALL': the state): people who exited
-- SNAP, TANF or UI, their employment in the 2nd and 4th quarter after the exit quarter and
-- their median earnings in the 2nd (WIOA primary indicators, 20 CFR 677.155(a)(1)(i)-(iii);
-- TANF work outcome measures, Fiscal Responsibility Act of 2023).
CREATE OR REPLACE TABLE marts.workforce_outcomes AS
WITH spells AS (
    SELECT person_key, program, end_date, birth_year,
           coalesce(county_fips, 'unknown') AS county_fips,
           lead(start_date) OVER (PARTITION BY person_key, program ORDER BY start_date)
               AS next_start
    FROM integrated.benefit_spells
    WHERE program IN ('SNAP', 'TANF', 'UI')
),
wage_quarters AS (
    SELECT min(quarter_index) AS first_q, max(quarter_index) AS last_q
    FROM integrated.employment_quarters
),
exits AS (
    -- an exit: a spell end not followed by a new spell of the program within 90 days (a
    -- return within 90 days is churn, not an exit, like WIOA's 90 days without service)
    SELECT DISTINCT person_key, program, county_fips,
           (year(end_date) * 4 + quarter(end_date) - 1)::INTEGER AS exit_q
    FROM spells
    WHERE end_date IS NOT NULL
      AND year(end_date) - birth_year BETWEEN 18 AND 64  -- working age at exit
      AND (next_start IS NULL OR date_diff('day', end_date, next_start) > 90)
),
reachable AS (
    -- people with a record carrying an SSN: only they can be found in the wage records,
    -- which carry SSN and name but no date of birth
    SELECT DISTINCT person_key FROM integrated.person_keys WHERE carries_ssn
),
earnings AS (
    -- all UI-covered wages of a person in a quarter, across employers
    SELECT person_key, quarter_index, sum(wages) AS wages
    FROM integrated.employment_quarters
    GROUP BY ALL
),
outcomes AS (
    SELECT x.program, x.exit_q, x.county_fips, x.person_key,
           r.person_key IS NOT NULL AS reachable,
           coalesce(q2.wages, 0) > 0 AS employed_q2,
           coalesce(q4.wages, 0) > 0 AS employed_q4,
           CASE WHEN q2.wages > 0 THEN q2.wages END AS earnings_q2
    FROM exits x
    LEFT JOIN reachable r ON r.person_key = x.person_key
    LEFT JOIN earnings q2 ON q2.person_key = x.person_key AND q2.quarter_index = x.exit_q + 2
    LEFT JOIN earnings q4 ON q4.person_key = x.person_key AND q4.quarter_index = x.exit_q + 4
    , wage_quarters w
    WHERE x.exit_q + 2 BETWEEN w.first_q AND w.last_q
),
cells AS (
    SELECT program, exit_q, coalesce(county_fips, 'ALL') AS county_fips,
           count(*)::BIGINT AS exiters,
           count(*) FILTER (WHERE reachable)::BIGINT AS exiters_reachable,
           count(*) FILTER (WHERE employed_q2)::BIGINT AS employed_q2,
           count(*) FILTER (WHERE employed_q4)::BIGINT AS employed_q4,
           median_cents(earnings_q2) AS median_earnings_q2
    FROM outcomes
    GROUP BY GROUPING SETS ((program, exit_q, county_fips), (program, exit_q))
)
SELECT c.program,
       (c.exit_q // 4)::VARCHAR || 'Q' || (c.exit_q % 4 + 1)::VARCHAR AS exit_quarter,
       c.county_fips,
       CASE c.county_fips WHEN 'ALL' THEN 'State' WHEN 'unknown' THEN 'County not recorded'
                          ELSE coalesce(k.county_name, c.county_fips) END AS county_name,
       c.exiters,
       c.exiters_reachable,
       c.exiters_reachable / c.exiters AS link_coverage,
       c.exiters_reachable < c.exiters AS rate_is_lower_bound,
       c.employed_q2,
       c.employed_q2 / c.exiters AS employment_rate_q2,
       wilson_low(c.employed_q2, c.exiters) AS employment_rate_q2_low,
       wilson_high(c.employed_q2, c.exiters) AS employment_rate_q2_high,
       c.median_earnings_q2,
       CASE WHEN c.exit_q + 4 <= w.last_q THEN c.employed_q4 END AS employed_q4,
       CASE WHEN c.exit_q + 4 <= w.last_q THEN c.employed_q4 / c.exiters END
           AS employment_rate_q4,
       CASE WHEN c.exit_q + 4 <= w.last_q THEN wilson_low(c.employed_q4, c.exiters) END
           AS employment_rate_q4_low,
       CASE WHEN c.exit_q + 4 <= w.last_q THEN wilson_high(c.employed_q4, c.exiters) END
           AS employment_rate_q4_high
FROM cells c
CROSS JOIN wage_quarters w
LEFT JOIN ref_counties k ON k.county_fips = c.county_fips
ORDER BY c.program, c.exit_q, c.county_fips;
