-- One row per person, institution and term.
SELECT k.person_key,
       e.institution_id,
       e.term,
       min(e.enroll_date) AS enroll_date
FROM role_postsecondary_enrollment e
JOIN integrated.person_keys k USING (source_extract, record_id)
GROUP BY k.person_key, e.institution_id, e.term
