-- One row per person, school and entry date (the state student id stays in staging); records
-- of two student ids that linkage found to be one person collapse into one row.
SELECT k.person_key,
       e.school_id,
       e.entry_date,
       max(e.exit_date) AS exit_date,
       any_value(e.school_year ORDER BY e.school_year) AS school_year,
       any_value(e.district_id ORDER BY e.district_id) AS district_id,
       max(e.grade_level) AS grade_level
FROM staging.k12_enrollment e
JOIN integrated.person_keys k ON k.source_extract = 'k12_enrollment' AND k.record_id = e.record_id
WHERE e.entry_date IS NOT NULL
GROUP BY k.person_key, e.school_id, e.entry_date
