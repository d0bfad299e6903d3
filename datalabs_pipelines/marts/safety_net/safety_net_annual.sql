-- One row per program, calendar year and breakdown group: people enrolled at any time in the
-- year (unduplicated), exits and returns within 90 days (pooled annual churn), for the state
-- ('all') and by county, sex, race/ethnicity and age band, each with its name.
CREATE OR REPLACE TABLE marts.safety_net_annual AS
WITH spells AS (SELECT * FROM benefit_spells_of(['SNAP', 'TANF', 'Medicaid'])),
people AS (SELECT * FROM benefit_people()),
observed AS (SELECT * FROM safety_net_observed()),
years AS (
    SELECT unnest(range(year(first_month), year(observed_through) + 1)) AS year FROM observed
),
person_years AS (
    -- a person enrolled in a program on any day of the year, once, in the county of their
    -- latest spell that year
    SELECT s.program, y.year, s.person_key,
           arg_max(s.county_fips, CASE WHEN s.start_date IS NOT NULL THEN (s.start_date, s.county_fips) END)
               AS county_fips,
           max(s.birth_year) AS birth_year
    FROM spells s, observed o
    JOIN years y ON TRUE
    WHERE s.start_date <= make_date(y.year, 12, 31)
      AND s.end_or_open >= greatest(make_date(y.year, 1, 1), o.first_month)
    GROUP BY ALL
),
events AS (
    SELECT program, year, person_key, county_fips, birth_year,
           1 AS enrolled, 0 AS exits, 0 AS returned
    FROM person_years
    UNION ALL
    SELECT s.program, year(s.end_date), s.person_key, s.county_fips, s.birth_year, 0, 1,
           (s.next_start IS NOT NULL AND date_diff('day', s.end_date, s.next_start) <= 90)::INTEGER
    FROM spells s, observed o
    WHERE s.end_date IS NOT NULL AND s.end_date <= o.observed_through
),
grouped AS (
    SELECT e.program, e.year, g.breakdown, g.group_code, e.enrolled, e.exits, e.returned
    FROM events e
    JOIN people p USING (person_key),
    LATERAL (
        SELECT unnest([
            {'breakdown': 'all', 'group_code': 'ALL'},
            {'breakdown': 'county', 'group_code': e.county_fips},
            {'breakdown': 'sex', 'group_code': p.sex},
            {'breakdown': 'race_ethnicity', 'group_code': p.race_ethnicity},
            {'breakdown': 'age_band', 'group_code': CASE
                WHEN e.birth_year IS NULL THEN 'unknown'
                WHEN e.year - e.birth_year < 18 THEN '0-17'
                WHEN e.year - e.birth_year < 25 THEN '18-24'
                WHEN e.year - e.birth_year < 45 THEN '25-44'
                WHEN e.year - e.birth_year < 65 THEN '45-64'
                ELSE '65+' END}
        ], recursive := true)
    ) g
),
cells AS (
    SELECT program, year, breakdown, group_code,
           sum(enrolled)::BIGINT AS enrolled,
           sum(exits)::BIGINT AS exits,
           sum(returned)::BIGINT AS returned
    FROM grouped
    GROUP BY ALL
)
SELECT c.program,
       c.year::INTEGER AS year,
       c.breakdown,
       c.group_code,
       CASE c.breakdown
           WHEN 'all' THEN 'All people'
           WHEN 'county' THEN coalesce(k.county_name, CASE c.group_code WHEN 'unknown'
                                THEN 'County not recorded' ELSE c.group_code END)
           WHEN 'sex' THEN coalesce(x.sex_name, c.group_code)
           WHEN 'race_ethnicity' THEN coalesce(r.race_ethnicity_name, c.group_code)
           WHEN 'age_band' THEN CASE c.group_code WHEN 'unknown' THEN 'Age not recorded'
                                ELSE 'Age ' || c.group_code END
       END AS group_name,
       make_date(c.year::INTEGER, 1, 1) >= o.first_month
           AND make_date(c.year::INTEGER, 12, 31) <= o.observed_through AS year_complete,
       c.enrolled,
       c.exits,
       CASE WHEN churn_observed THEN c.returned END AS returned_within_90_days,
       CASE WHEN churn_observed THEN c.returned / nullif(c.exits, 0) END AS churn_rate,
       CASE WHEN churn_observed THEN wilson_low(c.returned, c.exits) END AS churn_rate_low,
       CASE WHEN churn_observed THEN wilson_high(c.returned, c.exits) END AS churn_rate_high,
       churn_observed
FROM (
    SELECT c.*, make_date(c.year::INTEGER, 12, 31) + 90 <= o.observed_through AS churn_observed
    FROM cells c, observed o
) c
CROSS JOIN observed o
LEFT JOIN ref_counties k ON c.breakdown = 'county' AND k.county_fips = c.group_code
LEFT JOIN ref_sexes x ON c.breakdown = 'sex' AND x.sex = c.group_code
LEFT JOIN ref_race_ethnicity r ON c.breakdown = 'race_ethnicity' AND r.race_ethnicity = c.group_code
ORDER BY c.program, c.year, c.breakdown, c.group_code;
