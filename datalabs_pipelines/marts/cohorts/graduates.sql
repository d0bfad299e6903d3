-- High-school graduates and what follows (cohorts: wages, graduates): EDFacts FS/C160.

-- The postsecondary deliveries record events (term starts, awards) through enrolled_through,
-- so a term starting on or before it is in the data; the wage records run to last_wage_q.
CREATE OR REPLACE TEMP MACRO graduates_observed() AS TABLE
    SELECT greatest((SELECT max(enroll_date) FROM integrated.postsecondary_enrollments),
                    (SELECT max(completion_date) FROM integrated.postsecondary_completions))
               AS enrolled_through,
           (SELECT max(quarter_index) FROM integrated.employment_quarters) AS last_wage_q;

-- One row per regular-diploma graduation (C160 counts regular diplomas only): enrolled in a
-- term starting on or after the graduation date and no later than 16 months after it;
-- completed an award after it; reachable in the wage records; if not enrolled, employed in
-- the 4th quarter after the graduation quarter, and those earnings.
CREATE OR REPLACE TEMP MACRO graduate_outcomes() AS TABLE
    WITH graduates AS (
        SELECT person_key, district_id, graduation_date, cohort_year,
               (year(graduation_date) * 4 + quarter(graduation_date) - 1)::INTEGER AS grad_q
        FROM integrated.k12_graduates
        WHERE diploma_type IN ('Regular', 'Honors')
    ),
    enrolled AS (
        SELECT DISTINCT g.person_key
        FROM graduates g
        JOIN integrated.postsecondary_enrollments e
          ON e.person_key = g.person_key
         AND e.enroll_date >= g.graduation_date
         AND e.enroll_date <= (g.graduation_date + INTERVAL 16 MONTH)::DATE
    ),
    completed AS (
        SELECT DISTINCT g.person_key
        FROM graduates g
        JOIN integrated.postsecondary_completions c
          ON c.person_key = g.person_key AND c.completion_date > g.graduation_date
    ),
    earnings AS (
        -- wages across employers in the 4th quarter after the graduation quarter
        SELECT g.person_key, g.grad_q, sum(e.wages) AS wages
        FROM (SELECT DISTINCT person_key, grad_q FROM graduates) g
        JOIN earnings_in_quarters() e
          ON e.person_key = g.person_key AND e.quarter_index = g.grad_q + 4
        GROUP BY ALL
    )
    SELECT g.person_key, g.district_id, g.cohort_year, g.grad_q, g.graduation_date,
           e.person_key IS NOT NULL AS enrolled,
           c.person_key IS NOT NULL AS completed,
           r.person_key IS NOT NULL AS reachable,
           e.person_key IS NULL AND coalesce(w.wages, 0) > 0 AS not_enrolled_employed,
           CASE WHEN e.person_key IS NULL AND w.wages > 0 THEN w.wages END
               AS not_enrolled_earnings
    FROM graduates g
    LEFT JOIN enrolled e USING (person_key)
    LEFT JOIN completed c USING (person_key)
    LEFT JOIN reachable_people() r USING (person_key)
    LEFT JOIN earnings w ON w.person_key = g.person_key AND w.grad_q = g.grad_q;
