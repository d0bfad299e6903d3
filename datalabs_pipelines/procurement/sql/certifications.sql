-- One row per certification code of a registry record (a record listing "DBE, WBE" holds two),
-- from every contract filling the certified_firm_registry role, on its business's vendor_key,
-- with the ownership and program its contract's value map gives and, when it cannot count, why
-- (flag). Parameters: none.
WITH listed AS (
    SELECT *, unnest(coalesce(string_split(certification_type, ','), [NULL::VARCHAR])) AS listed
    FROM role_certified_firm_registry
),
codes AS (
    SELECT * EXCLUDE (listed), nullif(upper(trim(listed)), '') AS code FROM listed
),
maps AS (
    SELECT source_extract, code,
           any_value(value) FILTER (WHERE field = 'ownership') AS ownership,
           any_value(value) FILTER (WHERE field = 'program') AS program
    FROM integrated.value_maps
    WHERE column_name = 'certification_type'
    GROUP BY source_extract, code
)
SELECT k.vendor_key,
       c.source_extract,
       c.record_id,
       coalesce(c.certification_id, c.record_id) AS certification_id,
       c.code AS certification_type,
       m.ownership,
       m.program,
       coalesce(c.certifying_body, c.source_agency) AS certifying_body,
       c.cert_start_date AS valid_from,
       c.cert_end_date AS valid_to,
       CASE WHEN b.name_norm IS NULL THEN 'registry_row_without_usable_name'
            WHEN c.cert_start_date IS NULL OR c.cert_end_date IS NULL THEN 'certification_dates_missing'
            WHEN c.cert_end_date < c.cert_start_date THEN 'certification_ends_before_it_starts'
            WHEN m.program IS NULL THEN 'certification_type_not_mapped'
       END AS flag
FROM codes c
JOIN integrated.business_records b USING (source_extract, record_id)
JOIN integrated.vendor_keys k USING (source_extract, record_id)
LEFT JOIN maps m USING (source_extract, code)
ORDER BY k.vendor_key, valid_from, certification_id, certification_type
