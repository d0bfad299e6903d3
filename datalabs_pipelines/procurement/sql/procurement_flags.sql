-- One row per record that cannot count as it stands, with its reason: nothing vanishes.
SELECT source_extract, record_id, payment_id AS source_id, flag AS reason, amount
FROM integrated.procurement_payments WHERE flag IS NOT NULL
UNION ALL
SELECT source_extract, record_id, award_id, flag, award_amount
FROM integrated.procurement_awards WHERE flag IS NOT NULL
UNION ALL
SELECT source_extract, record_id, certification_id, flag, NULL
FROM integrated.certifications WHERE flag IS NOT NULL
ORDER BY source_extract, reason, record_id, source_id
