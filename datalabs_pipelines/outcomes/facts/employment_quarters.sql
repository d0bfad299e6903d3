-- One row per person, quarter and employer: UI wage records, summed where linkage put two
-- records of one employer and quarter on the same person.
SELECT k.person_key,
       w.year::INTEGER AS year,
       w.quarter::INTEGER AS quarter,
       (w.year * 4 + w.quarter - 1)::INTEGER AS quarter_index,
       coalesce(w.employer_fein, 'unknown') AS employer_fein,
       arg_max(w.naics, CASE WHEN w.wages IS NOT NULL THEN (w.wages, w.record_id) END) AS naics,
       sum(w.wages)::DECIMAL(18, 2) AS wages,
       arg_max(w.county_fips, CASE WHEN w.wages IS NOT NULL THEN (w.wages, w.record_id) END)
           AS worksite_county_fips,
       count(*)::BIGINT AS source_records
FROM role_wage_records w
JOIN integrated.person_keys k USING (source_extract, record_id)
WHERE w.year IS NOT NULL AND w.quarter BETWEEN 1 AND 4
GROUP BY k.person_key, w.year, w.quarter, coalesce(w.employer_fein, 'unknown')
