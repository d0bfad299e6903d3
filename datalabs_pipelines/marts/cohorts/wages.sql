-- What the wage records can tell about a person (cohorts: wages).

-- The quarters the UI wage records cover.
CREATE OR REPLACE TEMP MACRO wage_window() AS TABLE
    SELECT min(quarter_index) AS first_q, max(quarter_index) AS last_q
    FROM integrated.employment_quarters;

-- UI-covered wages by person, quarter and employer: a mart sums them across employers for the
-- people and quarters it asks about, after joining them (summing every person's quarters
-- first made a whole pass of grouping over the wage records for a few exiters' quarters).
CREATE OR REPLACE TEMP MACRO earnings_in_quarters() AS TABLE
    SELECT person_key, quarter_index, wages FROM integrated.employment_quarters;

-- People with a record carrying an SSN: only they can be found in the wage records, which
-- carry SSN and name but no date of birth.
CREATE OR REPLACE TEMP MACRO reachable_people() AS TABLE
    SELECT DISTINCT person_key FROM integrated.person_keys WHERE carries_ssn;
