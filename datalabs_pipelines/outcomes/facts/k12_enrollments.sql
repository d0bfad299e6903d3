-- One row per person, school and entry date (the state student id stays in staging); records
-- of two student ids that linkage found to be one person collapse into one row. Sex and
-- race/ethnicity come as the contract's value maps give them (sex_code, race_code,
-- hispanic_latino), race/ethnicity in EDFacts' seven categories (Hispanic/Latino first).
SELECT k.person_key,
       e.school_id,
       e.entry_date,
       max(e.exit_date) AS exit_date,
       any_value(e.school_year ORDER BY e.school_year) AS school_year,
       any_value(e.district_id ORDER BY e.district_id) AS district_id,
       max(e.grade_level) AS grade_level,
       min(e.sex_code) AS sex,
       min(CASE WHEN e.hispanic_latino = 'Y' THEN 'HI7' ELSE e.race_code END) AS race_ethnicity
FROM role_k12_enrollment e
JOIN integrated.person_keys k USING (source_extract, record_id)
WHERE e.entry_date IS NOT NULL
GROUP BY k.person_key, e.school_id, e.entry_date
