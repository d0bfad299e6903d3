-- One row per school district and graduating cohort (district 'ALL': the state): regular-
-- diploma graduates, their postsecondary enrollment within 16 months (EDFacts FS/C160),
-- completion, and employment and earnings of those who did not enroll.
CREATE OR REPLACE TABLE marts.student_outcomes AS
WITH observed AS (SELECT * FROM graduates_observed()),
people AS (SELECT * FROM graduate_outcomes()),  -- cohorts/graduates.sql
cells AS (
    SELECT coalesce(district_id, 'ALL') AS district_id, cohort_year,
           count(*)::BIGINT AS graduates,
           count(*) FILTER (WHERE enrolled)::BIGINT AS enrolled_16m,
           count(*) FILTER (WHERE completed)::BIGINT AS completed,
           count(*) FILTER (WHERE NOT enrolled)::BIGINT AS not_enrolled,
           count(*) FILTER (WHERE NOT enrolled AND reachable)::BIGINT AS not_enrolled_reachable,
           count(*) FILTER (WHERE not_enrolled_employed)::BIGINT AS not_enrolled_employed,
           median_cents(not_enrolled_earnings) AS not_enrolled_median_earnings,
           max(graduation_date) AS last_graduation,
           max(grad_q) AS last_grad_q
    FROM people
    GROUP BY GROUPING SETS ((district_id, cohort_year), (cohort_year))
)
SELECT c.district_id,
       CASE WHEN c.district_id = 'ALL' THEN 'State'
            WHEN k.county_name IS NOT NULL
                THEN k.county_name || ' district ' || right(c.district_id, 4)
            ELSE c.district_id END AS district_name,
       c.cohort_year,
       c.graduates,
       c.enrolled_16m,
       c.enrolled_16m / c.graduates AS enrollment_rate_16m,
       wilson_low(c.enrolled_16m, c.graduates) AS enrollment_rate_16m_low,
       wilson_high(c.enrolled_16m, c.graduates) AS enrollment_rate_16m_high,
       (c.last_graduation + INTERVAL 16 MONTH)::DATE <= o.enrolled_through AS window_complete,
       c.completed,
       c.completed / c.graduates AS completion_rate,
       wilson_low(c.completed, c.graduates) AS completion_rate_low,
       wilson_high(c.completed, c.graduates) AS completion_rate_high,
       c.not_enrolled,
       c.not_enrolled_reachable,
       c.not_enrolled_reachable / nullif(c.not_enrolled, 0) AS link_coverage,
       c.not_enrolled_reachable < c.not_enrolled AS rate_is_lower_bound,
       CASE WHEN c.last_grad_q + 4 <= o.last_wage_q THEN c.not_enrolled_employed END
           AS not_enrolled_employed,
       CASE WHEN c.last_grad_q + 4 <= o.last_wage_q
            THEN c.not_enrolled_employed / nullif(c.not_enrolled, 0) END
           AS not_enrolled_employment_rate,
       CASE WHEN c.last_grad_q + 4 <= o.last_wage_q
            THEN wilson_low(c.not_enrolled_employed, c.not_enrolled) END
           AS not_enrolled_employment_rate_low,
       CASE WHEN c.last_grad_q + 4 <= o.last_wage_q
            THEN wilson_high(c.not_enrolled_employed, c.not_enrolled) END
           AS not_enrolled_employment_rate_high,
       CASE WHEN c.last_grad_q + 4 <= o.last_wage_q THEN c.not_enrolled_median_earnings END
           AS not_enrolled_median_earnings
FROM cells c
CROSS JOIN observed o
LEFT JOIN ref_counties k ON right(k.county_fips, 3) = left(c.district_id, 3)
ORDER BY c.cohort_year, c.district_id;
