-- What the procurement SQL shares, stated once: build_facts runs this file, as temporary
-- macros, on the connection before the procurement SQL.

-- The fiscal-year formula. A fiscal year is named after the calendar year it ends in; with
-- start_month 1 it is the calendar year. start_month comes from config.yaml (1-12).

-- The fiscal year a date falls in.
CREATE OR REPLACE TEMP MACRO fiscal_year(d, start_month) AS
    year(d) + CASE WHEN start_month > 1 AND month(d) >= start_month THEN 1 ELSE 0 END;

-- The first day of fiscal year fy.
CREATE OR REPLACE TEMP MACRO fiscal_year_start(fy, start_month) AS
    make_date(fy - CASE WHEN start_month > 1 THEN 1 ELSE 0 END, start_month, 1);

-- Spend lines (payments and awards): what was bought, by two-digit NAICS ('??' if none).
CREATE OR REPLACE TEMP MACRO naics_category(naics) AS
    coalesce(nullif(left(trim(naics), 2), ''), '??');

-- The business (vendor key) of each vendor id of a vendor master (the smallest key where
-- records of one id resolved to several).
CREATE OR REPLACE TEMP MACRO vendor_keys_of(vendor_master) AS TABLE
    SELECT v.vendor_id, min(k.vendor_key) AS vendor_key
    FROM query_table(vendor_master) v
    JOIN integrated.vendor_keys k USING (source_extract, record_id)
    GROUP BY v.vendor_id;

-- The rows of `lines` with agency_code replaced by its contract's value map, where it has one.
CREATE OR REPLACE TEMP MACRO with_agency_map(lines) AS TABLE
    SELECT l.* REPLACE (coalesce(m.value, l.agency_code) AS agency_code)
    FROM query_table(lines) l
    LEFT JOIN integrated.value_maps m
      ON m.column_name = 'agency_code' AND m.field = 'agency_code'
     AND m.source_extract = l.source_extract AND m.code = upper(trim(l.agency_code));

-- Per dated line (source_extract, record_id, vendor_key, on_date), the programs whose
-- certification covered its business on that date; lines covered by none are absent.
CREATE OR REPLACE TEMP MACRO certified_programs(dated) AS TABLE
    SELECT d.source_extract, d.record_id, list(DISTINCT c.program ORDER BY c.program) AS programs
    FROM query_table(dated) d
    JOIN integrated.certifications c
      ON c.vendor_key = d.vendor_key AND c.flag IS NULL
     AND d.on_date BETWEEN c.valid_from AND c.valid_to
    GROUP BY d.source_extract, d.record_id;
