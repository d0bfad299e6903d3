-- Benefit spells as the safety-net and workforce marts read them (cohorts: benefits).

-- The merged spells of the given programs, with the start of the person's next spell of the
-- same program (a return) and the county ('unknown' when not recorded).
CREATE OR REPLACE TEMP MACRO benefit_spells_of(programs) AS TABLE
    SELECT person_key, program, start_date, end_date, birth_year,
           coalesce(end_date, DATE '9999-12-31') AS end_or_open,
           coalesce(county_fips, 'unknown') AS county_fips,
           lead(start_date) OVER (PARTITION BY person_key, program ORDER BY start_date)
               AS next_start
    FROM integrated.benefit_spells
    WHERE list_contains(programs, program);

-- The period the safety-net deliveries cover: spells that ended before the delivery period
-- were never delivered, so months before the first observed exit are left out; the data run
-- to the latest date they record.
CREATE OR REPLACE TEMP MACRO safety_net_observed() AS TABLE
    SELECT date_trunc('month', min(end_date))::DATE AS first_month,
           max(greatest(start_date, coalesce(end_date, start_date))) AS observed_through
    FROM benefit_spells_of(['SNAP', 'TANF', 'Medicaid']);

-- One row per person: sex and race/ethnicity as the person's SNAP, TANF and Medicaid records
-- most often give them (UI claims record neither); ties go to the smallest code.
CREATE OR REPLACE TEMP MACRO benefit_people() AS TABLE
    SELECT person_key,
           coalesce(most_frequent(histogram(sex)), 'U') AS sex,
           coalesce(most_frequent(histogram(race_ethnicity)), 'UNK') AS race_ethnicity
    FROM integrated.benefit_spells
    WHERE program IN ('SNAP', 'TANF', 'Medicaid')
    GROUP BY person_key;
