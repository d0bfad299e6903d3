-- One row per source extract and reason: records that could not count as they stand.
CREATE OR REPLACE TABLE marts.procurement_data_flags AS
SELECT source_extract, reason, count(*) AS records,
       sum(amount)::DECIMAL(18, 2) AS amount
FROM integrated.procurement_flags
GROUP BY ALL
ORDER BY source_extract, reason;
