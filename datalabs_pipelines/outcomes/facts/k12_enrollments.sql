-- One row per person, school and entry date (the state student id stays in staging); records
-- of two student ids that linkage found to be one person collapse into one row. Race and
-- ethnicity map to EDFacts' seven categories (Hispanic/Latino of any race first).
SELECT k.person_key,
       e.school_id,
       e.entry_date,
       max(e.exit_date) AS exit_date,
       any_value(e.school_year ORDER BY e.school_year) AS school_year,
       any_value(e.district_id ORDER BY e.district_id) AS district_id,
       max(e.grade_level) AS grade_level,
       min(e.sex) AS sex,
       min(CASE WHEN e.hispanic = 'Y' THEN 'HI7'
                 WHEN e.race = 'AI' THEN 'AM7' WHEN e.race = 'AS' THEN 'AS7'
                 WHEN e.race = 'BL' THEN 'BL7' WHEN e.race = 'PI' THEN 'PI7'
                 WHEN e.race = 'WH' THEN 'WH7' WHEN e.race = 'MR' THEN 'MU7' END)
           AS race_ethnicity
FROM role_k12_enrollment e
JOIN integrated.person_keys k USING (source_extract, record_id)
WHERE e.entry_date IS NOT NULL
GROUP BY k.person_key, e.school_id, e.entry_date
