-- One row per person, institution and term.
SELECT k.person_key,
       e.institution_id,
       e.term,
       min(e.enroll_date) AS enroll_date
FROM staging.postsecondary_enrollment e
JOIN integrated.person_keys k
  ON k.source_extract = 'postsecondary_enrollment' AND k.record_id = e.record_id
GROUP BY k.person_key, e.institution_id, e.term
