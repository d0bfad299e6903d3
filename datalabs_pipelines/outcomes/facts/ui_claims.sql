-- One row per initial UI claim of a linked person.
SELECT k.person_key,
       c.claim_id,
       c.claim_filed_date,
       c.benefit_end_date,
       c.weekly_benefit_amount,
       c.last_employer_fein,
       c.county_fips
FROM role_ui_claims c
JOIN integrated.person_keys k USING (source_extract, record_id)
