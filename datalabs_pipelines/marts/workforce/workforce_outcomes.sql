-- One row per program, exit quarter and county (county 'ALL': the state): people who exited
-- SNAP, TANF or UI, their employment in the 2nd and 4th quarter after the exit quarter and
-- their median earnings in the 2nd (the exits and their outcomes: cohorts/exits.sql).
CREATE OR REPLACE TABLE marts.workforce_outcomes AS
WITH wage_quarters AS (SELECT * FROM wage_window()),
outcomes AS (
    -- each exiter once per exit quarter and county (cohorts/exits.sql)
    SELECT x.program, x.exit_q, x.county_fips, x.person_key,
           o.reachable, o.employed_q2, o.employed_q4, o.earnings_q2
    FROM (SELECT DISTINCT person_key, program, county_fips, exit_q FROM program_exits()) x
    JOIN exit_outcomes() o USING (person_key, exit_q)
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
