-- Program exits and the employment that follows (cohorts: benefits, wages, exits): WIOA primary
-- indicators, 20 CFR 677.155(a)(1)(i)-(iii); TANF work outcome measures, Fiscal Responsibility
-- Act of 2023.

-- One row per exit from SNAP, TANF or UI: a spell end not followed by a new spell of the
-- program within 90 days (a return within 90 days is churn, not an exit, like WIOA's 90 days
-- without service), of a person of working age (18 to 64) in the year of the exit.
CREATE OR REPLACE TEMP MACRO program_exits() AS TABLE
    SELECT person_key, program, county_fips, end_date,
           year(end_date) AS exit_year,
           year(end_date) - birth_year AS age,
           (year(end_date) * 4 + quarter(end_date) - 1)::INTEGER AS exit_q
    FROM benefit_spells_of(['SNAP', 'TANF', 'UI'])
    WHERE end_date IS NOT NULL
      AND year(end_date) - birth_year BETWEEN 18 AND 64
      AND (next_start IS NULL OR date_diff('day', end_date, next_start) > 90);

-- One row per person and exit quarter whose 2nd following quarter lies in the wage records:
-- reachable in them, employed (any UI-covered wages) in the 2nd and 4th quarter after the
-- exit quarter, and earnings in the 2nd (NULL when none). The wages are summed across
-- employers for the exiters' two quarters only (earnings_in_quarters).
CREATE OR REPLACE TEMP MACRO exit_outcomes() AS TABLE
    WITH x AS (
        SELECT DISTINCT person_key, exit_q FROM program_exits(), wage_window() w
        WHERE exit_q + 2 BETWEEN w.first_q AND w.last_q
    ),
    earnings AS (
        SELECT x.person_key, x.exit_q,
               sum(e.wages) FILTER (WHERE e.quarter_index = x.exit_q + 2) AS wages_q2,
               sum(e.wages) FILTER (WHERE e.quarter_index = x.exit_q + 4) AS wages_q4
        FROM x JOIN earnings_in_quarters() e
          ON e.person_key = x.person_key
         AND e.quarter_index IN (x.exit_q + 2, x.exit_q + 4)
        GROUP BY ALL
    )
    SELECT x.person_key, x.exit_q,
           r.person_key IS NOT NULL AS reachable,
           coalesce(e.wages_q2, 0) > 0 AS employed_q2,
           coalesce(e.wages_q4, 0) > 0 AS employed_q4,
           CASE WHEN e.wages_q2 > 0 THEN e.wages_q2 END AS earnings_q2
    FROM x
    LEFT JOIN reachable_people() r ON r.person_key = x.person_key
    LEFT JOIN earnings e ON e.person_key = x.person_key AND e.exit_q = x.exit_q;
