-- One row per program, exit year and breakdown group: people who exited SNAP, TANF or UI in the
-- year, their employment in the 2nd and 4th quarter after the exit quarter, TANF's job
-- retention (employed in both), and median earnings in the 2nd quarter, for the state ('all')
-- and by county, sex, race/ethnicity and age band, each rate with its 95 % Wilson interval.
CREATE OR REPLACE TABLE marts.workforce_outcomes_statewide AS
WITH people AS (SELECT * FROM benefit_people()),
wage_quarters AS (SELECT * FROM wage_window()),
exits AS (
    -- the exits of cohorts/exits.sql, a person counted once per program and year, at their
    -- first exit that year
    SELECT person_key, program, exit_year,
           arg_min(county_fips, CASE WHEN end_date IS NOT NULL THEN (end_date, county_fips) END)
               AS county_fips,
           min(age) AS age,
           min(exit_q) AS exit_q
    FROM program_exits()
    GROUP BY ALL
),
outcomes AS (
    SELECT x.program, x.exit_year, x.person_key, x.county_fips, x.age,
           o.reachable, o.employed_q2, o.employed_q4, o.earnings_q2
    FROM exits x
    JOIN exit_outcomes() o USING (person_key, exit_q)
),
grouped AS (
    SELECT o.*, g.breakdown, g.group_code
    FROM outcomes o
    LEFT JOIN people p USING (person_key),
    LATERAL (
        SELECT unnest([
            {'breakdown': 'all', 'group_code': 'ALL'},
            {'breakdown': 'county', 'group_code': o.county_fips},
            {'breakdown': 'sex', 'group_code': coalesce(p.sex, 'U')},
            {'breakdown': 'race_ethnicity', 'group_code': coalesce(p.race_ethnicity, 'UNK')},
            {'breakdown': 'age_band', 'group_code': CASE
                WHEN o.age < 25 THEN '18-24'
                WHEN o.age < 35 THEN '25-34'
                WHEN o.age < 45 THEN '35-44'
                WHEN o.age < 55 THEN '45-54'
                ELSE '55-64' END}
        ], recursive := true)
    ) g
    -- UI claims record no sex or race: those breakdowns would be one "not reported" group
    WHERE NOT (o.program = 'UI' AND g.breakdown IN ('sex', 'race_ethnicity'))
),
cells AS (
    SELECT program, exit_year, breakdown, group_code,
           count(*)::BIGINT AS exiters,
           count(*) FILTER (WHERE reachable)::BIGINT AS exiters_reachable,
           count(*) FILTER (WHERE employed_q2)::BIGINT AS employed_q2,
           count(*) FILTER (WHERE employed_q4)::BIGINT AS employed_q4,
           count(*) FILTER (WHERE employed_q2 AND employed_q4)::BIGINT AS retained_q4,
           count(*) FILTER (WHERE employed_q2 AND NOT employed_q4)::BIGINT AS q2_not_q4,
           count(*) FILTER (WHERE employed_q4 AND NOT employed_q2)::BIGINT AS q4_not_q2,
           median_cents(earnings_q2) AS median_earnings_q2
    FROM grouped
    GROUP BY ALL
),
observed AS (
    -- every exit quarter of the year has its 2nd (4th) following quarter in the wage records
    SELECT c.*,
           c.exit_year * 4 >= w.first_q - 2 AND c.exit_year * 4 + 3 + 2 <= w.last_q
               AS year_complete,
           c.exit_year * 4 + 3 + 4 <= w.last_q AS q4_observed
    FROM cells c, wage_quarters w
)
SELECT c.program,
       c.exit_year::INTEGER AS exit_year,
       c.breakdown,
       c.group_code,
       CASE c.breakdown
           WHEN 'all' THEN 'All exiters'
           WHEN 'county' THEN coalesce(k.county_name, CASE c.group_code WHEN 'unknown'
                                THEN 'County not recorded' ELSE c.group_code END)
           WHEN 'sex' THEN coalesce(x.sex_name, c.group_code)
           WHEN 'race_ethnicity' THEN coalesce(r.race_ethnicity_name, c.group_code)
           WHEN 'age_band' THEN 'Age ' || c.group_code
       END AS group_name,
       c.year_complete,
       c.exiters,
       c.exiters_reachable,
       c.exiters_reachable / c.exiters AS link_coverage,
       c.exiters_reachable < c.exiters AS rate_is_lower_bound,
       c.employed_q2,
       c.employed_q2 / c.exiters AS employment_rate_q2,
       wilson_low(c.employed_q2, c.exiters) AS employment_rate_q2_low,
       wilson_high(c.employed_q2, c.exiters) AS employment_rate_q2_high,
       c.median_earnings_q2,
       CASE WHEN q4_observed THEN c.employed_q4 END AS employed_q4,
       CASE WHEN q4_observed THEN c.employed_q4 / c.exiters END AS employment_rate_q4,
       CASE WHEN q4_observed THEN wilson_low(c.employed_q4, c.exiters) END
           AS employment_rate_q4_low,
       CASE WHEN q4_observed THEN wilson_high(c.employed_q4, c.exiters) END
           AS employment_rate_q4_high,
       CASE WHEN q4_observed THEN c.retained_q4 END AS retained_q4,
       -- published so the gate sees both differences with retained_q4 (small ones are hidden)
       CASE WHEN q4_observed THEN c.q2_not_q4 END AS employed_q2_not_q4,
       CASE WHEN q4_observed THEN c.q4_not_q2 END AS employed_q4_not_q2,
       CASE WHEN q4_observed THEN c.retained_q4 / nullif(c.employed_q2, 0) END
           AS retention_rate_q4,
       CASE WHEN q4_observed THEN wilson_low(c.retained_q4, c.employed_q2) END
           AS retention_rate_q4_low,
       CASE WHEN q4_observed THEN wilson_high(c.retained_q4, c.employed_q2) END
           AS retention_rate_q4_high
FROM observed c
LEFT JOIN ref_counties k ON c.breakdown = 'county' AND k.county_fips = c.group_code
LEFT JOIN ref_sexes x ON c.breakdown = 'sex' AND x.sex = c.group_code
LEFT JOIN ref_race_ethnicity r ON c.breakdown = 'race_ethnicity' AND r.race_ethnicity = c.group_code
ORDER BY c.program, c.exit_year, c.breakdown, c.group_code;
