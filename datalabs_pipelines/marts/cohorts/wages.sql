-- What the wage records can tell about a person (cohorts: wages).

-- The quarters the UI wage records cover.
CREATE OR REPLACE TEMP MACRO wage_window() AS TABLE
    SELECT min(quarter_index) AS first_q, max(quarter_index) AS last_q
    FROM integrated.employment_quarters;

-- All UI-covered wages of a person in a quarter, across employers.
CREATE OR REPLACE TEMP MACRO quarterly_earnings() AS TABLE
    SELECT person_key, quarter_index, sum(wages) AS wages
    FROM integrated.employment_quarters
    GROUP BY ALL;

-- People with a record carrying an SSN: only they can be found in the wage records, which
-- carry SSN and name but no date of birth.
CREATE OR REPLACE TEMP MACRO reachable_people() AS TABLE
    SELECT DISTINCT person_key FROM integrated.person_keys WHERE carries_ssn;
