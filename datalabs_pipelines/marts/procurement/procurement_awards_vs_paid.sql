-- One row per agency and fiscal year: awarded and paid amounts, to all and to certified
-- businesses, kept apart (an award is a ceiling; a payment is money out).
CREATE OR REPLACE TABLE marts.procurement_awards_vs_paid AS
WITH awarded AS (
    SELECT agency_code, fiscal_year,
           sum(coalesce(award_amount, 0)) AS awarded_total,
           coalesce(sum(coalesce(award_amount, 0)) FILTER (WHERE len(certified_programs) > 0),
                    0) AS awarded_certified
    FROM integrated.procurement_awards WHERE fiscal_year IS NOT NULL
    GROUP BY ALL
),
paid AS (
    SELECT agency_code, fiscal_year,
           sum(coalesce(amount, 0)) AS paid_total,
           coalesce(sum(coalesce(amount, 0)) FILTER (WHERE len(certified_programs) > 0), 0)
               AS paid_certified
    FROM integrated.procurement_payments WHERE fiscal_year IS NOT NULL
    GROUP BY ALL
)
SELECT agency_code,
       coalesce(r.agency_name, agency_code) AS agency_name,
       fiscal_year,
       coalesce(a.awarded_total, 0)::DECIMAL(18, 2) AS awarded_total,
       coalesce(a.awarded_certified, 0)::DECIMAL(18, 2) AS awarded_certified,
       coalesce(p.paid_total, 0)::DECIMAL(18, 2) AS paid_total,
       coalesce(p.paid_certified, 0)::DECIMAL(18, 2) AS paid_certified
FROM awarded a FULL JOIN paid p USING (agency_code, fiscal_year)
LEFT JOIN ref_agencies r USING (agency_code)
ORDER BY agency_code, fiscal_year;
