-- One row per graduate: the first diploma of each linked person, its type as the contract's
-- value map gives it (Regular, Honors or Alternative); of two diplomas on one day, the one
-- of the first record (ties broken by record, so the row does not depend on scan order).
SELECT k.person_key,
       arg_min(g.district_id, (g.graduation_date, g.record_id)) AS district_id,
       min(g.graduation_date) AS graduation_date,
       year(min(g.graduation_date))::INTEGER AS cohort_year,
       arg_min(g.diploma, (g.graduation_date, g.record_id)) AS diploma_type
FROM role_k12_graduation g
JOIN integrated.person_keys k USING (source_extract, record_id)
WHERE g.graduation_date IS NOT NULL
GROUP BY k.person_key
