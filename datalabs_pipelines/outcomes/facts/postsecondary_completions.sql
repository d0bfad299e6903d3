-- One row per person, institution and award level.
SELECT k.person_key,
       c.institution_id,
       c.award_level,
       min(c.completion_date) AS completion_date,
       arg_min(c.cip_code, CASE WHEN c.completion_date IS NOT NULL THEN (c.completion_date, c.record_id) END)
           AS cip_code
FROM role_postsecondary_completion c
JOIN integrated.person_keys k USING (source_extract, record_id)
GROUP BY k.person_key, c.institution_id, c.award_level
