-- Macros every mart's SQL may use: the mart factory runs this file, as temporary macros, on
-- the connection before each mart's SQL, so one formula serves every mart.

-- 95 % Wilson score interval of a proportion x / n (Wilson 1927; recommended over the normal
-- approximation for small n by Brown, Cai & DasGupta 2001). z = 1.959964, the 97.5th
-- percentile of the standard normal; bounds rounded to 6 decimals. NULL when n is 0 or NULL
-- or x is NULL.
CREATE OR REPLACE TEMP MACRO wilson_center(x, n) AS
    (x / n + 1.959964 ^ 2 / (2 * n)) / (1 + 1.959964 ^ 2 / n);
CREATE OR REPLACE TEMP MACRO wilson_half(x, n) AS
    1.959964 / (1 + 1.959964 ^ 2 / n)
        * sqrt((x / n) * (1 - x / n) / n + 1.959964 ^ 2 / (4 * n * n));
CREATE OR REPLACE TEMP MACRO wilson_low(x, n) AS
    CASE WHEN n > 0 AND x IS NOT NULL THEN round(greatest(0.0, wilson_center(x, n) - wilson_half(x, n)), 6)::DOUBLE END;
CREATE OR REPLACE TEMP MACRO wilson_high(x, n) AS
    CASE WHEN n > 0 AND x IS NOT NULL THEN round(least(1.0, wilson_center(x, n) + wilson_half(x, n)), 6)::DOUBLE END;

-- Median of money amounts rounded half up to the cent (an even count's median is the mean of
-- the middle two, e.g. 100.005 -> 100.01), computed in whole cents so no binary fraction
-- truncates it. An aggregate: use it where median() would go.
CREATE OR REPLACE TEMP MACRO median_cents(amount) AS
    (floor(median(round(amount * 100)::BIGINT) + 0.5) / 100)::DECIMAL(18, 2);
