-- One row per business (vendor_key): its category, when it first registered as a vendor, and
-- how many vendor and registry records it has.
SELECT k.vendor_key,
       arg_min(b.name_raw, b.source_extract || b.record_id)
           FILTER (WHERE k.role = 'vendor') AS vendor_name,
       coalesce(arg_min(b.naics2, v.registered_date) FILTER (WHERE k.role = 'vendor'),
                arg_min(b.naics2, b.record_id)) AS category,
       min(v.registered_date) AS first_registered,
       count(*) FILTER (WHERE k.role = 'vendor') AS vendor_records,
       count(*) FILTER (WHERE k.role = 'registry') AS registry_records
FROM integrated.vendor_keys k
JOIN integrated.business_records b USING (source_extract, record_id)
LEFT JOIN role_vendor_master v USING (source_extract, record_id)
GROUP BY k.vendor_key
ORDER BY k.vendor_key
