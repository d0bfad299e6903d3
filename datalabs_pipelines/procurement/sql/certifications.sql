-- One row per registry certification, on its business's vendor_key, with the program it counts
-- toward and, when it cannot count, why (flag). Parameters: none.
CREATE OR REPLACE TABLE integrated.certifications AS
SELECT k.vendor_key,
       c.record_id,
       c.certification_id,
       upper(trim(c.certification_type)) AS certification_type,
       m.ownership,
       m.program,
       c.certifying_body,
       c.cert_start_date AS valid_from,
       c.cert_end_date AS valid_to,
       CASE WHEN b.name_norm IS NULL THEN 'registry_row_without_usable_name'
            WHEN c.cert_start_date IS NULL OR c.cert_end_date IS NULL THEN 'certification_dates_missing'
            WHEN c.cert_end_date < c.cert_start_date THEN 'certification_ends_before_it_starts'
            WHEN m.program IS NULL THEN 'certification_type_not_mapped'
       END AS flag
FROM staging.certified_firms c
JOIN integrated.business_records b
  ON b.source_extract = 'certified_firms' AND b.record_id = c.record_id
JOIN integrated.vendor_keys k
  ON k.source_extract = 'certified_firms' AND k.record_id = c.record_id
LEFT JOIN integrated.certification_types m
  ON m.certification_type = upper(trim(c.certification_type))
ORDER BY k.vendor_key, valid_from, c.certification_id;
