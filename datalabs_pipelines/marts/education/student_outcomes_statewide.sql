-- One row per graduating cohort and breakdown group: regular-diploma graduates, their
-- postsecondary enrollment within 16 months (EDFacts FS/C160), completion, and employment and
-- earnings of those who did not enroll, for the state ('all') and by sex and race/ethnicity
-- (C160's categories), each rate with its 95 % Wilson interval.
CREATE OR REPLACE TABLE marts.student_outcomes_statewide AS
WITH students AS (
    -- sex and race/ethnicity from the student's K-12 enrollment records (the latest entry)
    SELECT person_key,
           coalesce(arg_max(sex, (entry_date, sex)) FILTER (WHERE sex IS NOT NULL AND entry_date IS NOT NULL), 'U') AS sex,
           coalesce(arg_max(race_ethnicity, (entry_date, race_ethnicity))
                        FILTER (WHERE race_ethnicity IS NOT NULL AND entry_date IS NOT NULL),
                    'UNK') AS race_ethnicity
    FROM integrated.k12_enrollments
    GROUP BY person_key
),
observed AS (SELECT * FROM graduates_observed()),
people AS (
    SELECT o.*,
           coalesce(s.sex, 'U') AS sex,
           coalesce(s.race_ethnicity, 'UNK') AS race_ethnicity
    FROM graduate_outcomes() o  -- cohorts/graduates.sql
    LEFT JOIN students s USING (person_key)
),
grouped AS (
    SELECT p.*, g.breakdown, g.group_code
    FROM people p,
    LATERAL (
        SELECT unnest([
            {'breakdown': 'all', 'group_code': 'ALL'},
            {'breakdown': 'sex', 'group_code': p.sex},
            {'breakdown': 'race_ethnicity', 'group_code': p.race_ethnicity}
        ], recursive := true)
    ) g
),
cohorts AS (
    -- window and wage flags belong to the cohort, not to a group
    SELECT cohort_year, max(graduation_date) AS last_graduation, max(grad_q) AS last_grad_q
    FROM people GROUP BY ALL
),
cells AS (
    SELECT cohort_year, breakdown, group_code,
           count(*)::BIGINT AS graduates,
           count(*) FILTER (WHERE enrolled)::BIGINT AS enrolled_16m,
           count(*) FILTER (WHERE completed)::BIGINT AS completed,
           count(*) FILTER (WHERE NOT enrolled)::BIGINT AS not_enrolled,
           count(*) FILTER (WHERE NOT enrolled AND reachable)::BIGINT AS not_enrolled_reachable,
           count(*) FILTER (WHERE not_enrolled_employed)::BIGINT AS not_enrolled_employed,
           median_cents(not_enrolled_earnings) AS not_enrolled_median_earnings
    FROM grouped
    GROUP BY ALL
)
SELECT c.cohort_year,
       c.breakdown,
       c.group_code,
       CASE c.breakdown
           WHEN 'all' THEN 'All graduates'
           WHEN 'sex' THEN coalesce(x.sex_name, c.group_code)
           WHEN 'race_ethnicity' THEN coalesce(r.race_ethnicity_name, c.group_code)
       END AS group_name,
       (h.last_graduation + INTERVAL 16 MONTH)::DATE <= o.enrolled_through AS window_complete,
       c.graduates,
       c.enrolled_16m,
       c.enrolled_16m / c.graduates AS enrollment_rate_16m,
       wilson_low(c.enrolled_16m, c.graduates) AS enrollment_rate_16m_low,
       wilson_high(c.enrolled_16m, c.graduates) AS enrollment_rate_16m_high,
       c.completed,
       c.completed / c.graduates AS completion_rate,
       wilson_low(c.completed, c.graduates) AS completion_rate_low,
       wilson_high(c.completed, c.graduates) AS completion_rate_high,
       c.not_enrolled,
       c.not_enrolled_reachable,
       c.not_enrolled_reachable / nullif(c.not_enrolled, 0) AS link_coverage,
       c.not_enrolled_reachable < c.not_enrolled AS rate_is_lower_bound,
       CASE WHEN wages_observed THEN c.not_enrolled_employed END AS not_enrolled_employed,
       CASE WHEN wages_observed THEN c.not_enrolled_employed / nullif(c.not_enrolled, 0) END
           AS not_enrolled_employment_rate,
       CASE WHEN wages_observed THEN wilson_low(c.not_enrolled_employed, c.not_enrolled) END
           AS not_enrolled_employment_rate_low,
       CASE WHEN wages_observed THEN wilson_high(c.not_enrolled_employed, c.not_enrolled) END
           AS not_enrolled_employment_rate_high,
       CASE WHEN wages_observed THEN c.not_enrolled_median_earnings END
           AS not_enrolled_median_earnings
FROM cells c
JOIN cohorts h USING (cohort_year)
CROSS JOIN observed o
CROSS JOIN LATERAL (SELECT h.last_grad_q + 4 <= o.last_wage_q AS wages_observed) w
LEFT JOIN ref_sexes x ON c.breakdown = 'sex' AND x.sex = c.group_code
LEFT JOIN ref_race_ethnicity r ON c.breakdown = 'race_ethnicity' AND r.race_ethnicity = c.group_code
ORDER BY c.cohort_year, c.breakdown, c.group_code;
