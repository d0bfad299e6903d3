-- One row per person, program and spell: overlapping or adjacent records (a record starting
-- on or before the day after an earlier one ends) of one person in one program are one spell.
-- Sex and race/ethnicity come as the contracts' value maps give them (role view columns
-- sex_code, race_code, hispanic_latino; NULL is unknown), race/ethnicity in EDFacts' seven
-- categories (Hispanic/Latino of any race first); UI claims carry neither. Where a spell's
-- records disagree, the most frequent value wins and a tie goes to the smallest
-- (most_frequent, sql_macros.sql), so reruns publish the same. The program is the contract's:
-- a constant, or a column (its codes mapped by the contract's value map where it has one).
WITH records AS (
    SELECT k.person_key, coalesce(s.program_name, s.program) AS program, s.county_fips,
           s.dob_year AS birth_year,
           s.spell_start AS start_date, s.spell_end AS end_date, s.sex_code AS sex,
           CASE WHEN s.hispanic_latino = 'Y' THEN 'HI7' ELSE s.race_code END AS race_ethnicity
    FROM role_benefit_enrollment s
    JOIN integrated.person_keys k USING (source_extract, record_id)
    UNION ALL
    SELECT k.person_key, 'UI', s.county_fips, s.dob_year, s.claim_filed_date,
           s.benefit_end_date, NULL, NULL
    FROM role_ui_claims s
    JOIN integrated.person_keys k USING (source_extract, record_id)
),
ordered AS (
    SELECT *,
           coalesce(end_date, DATE '9999-12-31') AS end_or_open,
           max(coalesce(end_date, DATE '9999-12-31')) OVER (
               PARTITION BY person_key, program
               ORDER BY start_date, coalesce(end_date, DATE '9999-12-31')
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS covered_until
    FROM records
    WHERE start_date IS NOT NULL
),
numbered AS (
    SELECT *,
           sum(CASE WHEN covered_until IS NULL
                     OR date_diff('day', covered_until, start_date) > 1 THEN 1 ELSE 0 END)
               OVER (PARTITION BY person_key, program
                     ORDER BY start_date, end_or_open ROWS UNBOUNDED PRECEDING) AS spell_number
    FROM ordered
)
SELECT person_key,
       program,
       min(start_date) AS start_date,
       nullif(max(end_or_open), DATE '9999-12-31') AS end_date,
       arg_max(county_fips, (start_date, end_or_open, county_fips)) AS county_fips,
       most_frequent(histogram(birth_year)) AS birth_year,
       most_frequent(histogram(sex)) AS sex,
       most_frequent(histogram(race_ethnicity)) AS race_ethnicity,
       count(*)::BIGINT AS source_records
FROM numbered
GROUP BY person_key, program, spell_number
