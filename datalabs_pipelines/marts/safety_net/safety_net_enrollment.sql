-- One row per program, month and county (county 'ALL': the state): people enrolled, their
-- enrollment in the other programs that month, exits and returns within 90 days.
CREATE OR REPLACE TABLE marts.safety_net_enrollment AS
WITH spells AS (SELECT * FROM benefit_spells_of(['SNAP', 'TANF', 'Medicaid'])),
observed AS (SELECT * FROM safety_net_observed()),
months AS (
    SELECT unnest(generate_series(first_month, date_trunc('month', observed_through)::DATE,
                                  INTERVAL 1 MONTH))::DATE AS month
    FROM observed
),
person_months AS (
    -- a person's programs in a month: enrolled on any day of it, in the county of the
    -- program's latest spell that month (one county per person, program and month: counties
    -- add up); one pass over person and month for the three programs, a program not held
    -- being a NULL county (a spell's county is never NULL: 'unknown' when not recorded)
    SELECT m.month, s.person_key,
           arg_max(s.county_fips, (s.start_date, s.county_fips)) FILTER (WHERE s.program = 'SNAP')
               AS snap_county,
           arg_max(s.county_fips, (s.start_date, s.county_fips)) FILTER (WHERE s.program = 'TANF')
               AS tanf_county,
           arg_max(s.county_fips, (s.start_date, s.county_fips))
               FILTER (WHERE s.program = 'Medicaid') AS medicaid_county
    FROM spells s
    JOIN months m ON s.start_date <= last_day(m.month) AND s.end_or_open >= m.month
    GROUP BY ALL
),
enrolled AS (
    SELECT e.program, month, e.county_fips,
           1 AS enrolled,
           (snap_county IS NOT NULL)::INTEGER AS with_snap,
           (tanf_county IS NOT NULL)::INTEGER AS with_tanf,
           (medicaid_county IS NOT NULL)::INTEGER AS with_medicaid,
           0 AS exits, 0 AS returned
    FROM (
        SELECT *, unnest([{'program': 'SNAP', 'county_fips': snap_county},
                          {'program': 'TANF', 'county_fips': tanf_county},
                          {'program': 'Medicaid', 'county_fips': medicaid_county}]) AS e
        FROM person_months
    )
    WHERE e.county_fips IS NOT NULL
),
exits AS (
    SELECT s.program, date_trunc('month', s.end_date)::DATE AS month, s.county_fips,
           0, 0, 0, 0,
           1 AS exits,
           (s.next_start IS NOT NULL AND date_diff('day', s.end_date, s.next_start) <= 90)::INTEGER
    FROM spells s, observed o
    WHERE s.end_date IS NOT NULL AND s.end_date <= o.observed_through
),
events AS (SELECT * FROM enrolled UNION ALL SELECT * FROM exits),
cells AS (
    SELECT program, month, coalesce(county_fips, 'ALL') AS county_fips,
           sum(enrolled)::BIGINT AS enrolled,
           sum(with_snap)::BIGINT AS with_snap,
           sum(with_tanf)::BIGINT AS with_tanf,
           sum(with_medicaid)::BIGINT AS with_medicaid,
           sum(exits)::BIGINT AS exits,
           sum(returned)::BIGINT AS returned
    FROM events
    GROUP BY GROUPING SETS ((program, month, county_fips), (program, month))
)
SELECT c.program,
       c.month,
       c.county_fips,
       CASE c.county_fips WHEN 'ALL' THEN 'State' WHEN 'unknown' THEN 'County not recorded'
                          ELSE coalesce(k.county_name, c.county_fips) END AS county_name,
       c.enrolled,
       CASE WHEN c.program = 'SNAP' THEN NULL ELSE c.with_snap END AS enrolled_with_snap,
       CASE WHEN c.program = 'TANF' THEN NULL ELSE c.with_tanf END AS enrolled_with_tanf,
       CASE WHEN c.program = 'Medicaid' THEN NULL ELSE c.with_medicaid END
           AS enrolled_with_medicaid,
       c.exits,
       CASE WHEN churn_observed THEN c.returned END AS returned_within_90_days,
       CASE WHEN churn_observed THEN c.returned / nullif(c.exits, 0) END AS churn_rate,
       CASE WHEN churn_observed THEN wilson_low(c.returned, c.exits) END AS churn_rate_low,
       CASE WHEN churn_observed THEN wilson_high(c.returned, c.exits) END AS churn_rate_high,
       churn_observed
FROM (
    SELECT c.*, (last_day(c.month) + 90 <= o.observed_through) AS churn_observed
    FROM cells c, observed o
) c
LEFT JOIN ref_counties k ON k.county_fips = c.county_fips
ORDER BY c.program, c.month, c.county_fips;
