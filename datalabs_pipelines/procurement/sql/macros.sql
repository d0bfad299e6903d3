-- The fiscal-year formula, stated once: build_facts runs this file, as temporary macros, on the
-- connection before the procurement SQL. A fiscal year is named after the calendar year it ends
-- in; with start_month 1 it is the calendar year. start_month comes from config.yaml (1-12).

-- The fiscal year a date falls in.
CREATE OR REPLACE TEMP MACRO fiscal_year(d, start_month) AS
    year(d) + CASE WHEN start_month > 1 AND month(d) >= start_month THEN 1 ELSE 0 END;

-- The first day of fiscal year fy.
CREATE OR REPLACE TEMP MACRO fiscal_year_start(fy, start_month) AS
    make_date(fy - CASE WHEN start_month > 1 THEN 1 ELSE 0 END, start_month, 1);
