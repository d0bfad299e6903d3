-- Linkage quality by source and subgroup: which records found their person elsewhere.
-- A record is linked when its person_key also carries a record of another source extract.
-- Subgroups come from the role views (role_<role>, every contract filling the role); ages are
-- as of the year of the date the run is judged on (run_date), not of the clock.
CREATE OR REPLACE TABLE marts.linkage_quality AS
WITH person_sources AS (
    SELECT person_key, count(DISTINCT source_extract) AS sources
    FROM integrated.person_keys
    GROUP BY person_key
),
keyed AS (
    SELECT k.source_extract, k.record_id, p.sources > 1 AS linked
    FROM integrated.person_keys k
    JOIN person_sources p USING (person_key)
),
attributes AS (
    -- sex and race/ethnicity as the contracts' value maps give them (role view columns),
    -- named by the reference tables
    SELECT source_extract, record_id, county_fips, dob_year AS birth_year,
           sex_code AS sex,
           CASE WHEN hispanic_latino = 'Y' THEN 'HI7' ELSE race_code END AS race_ethnicity
    FROM role_benefit_enrollment
    UNION ALL
    SELECT source_extract, record_id, NULL, dob_year, sex_code,
           CASE WHEN hispanic_latino = 'Y' THEN 'HI7' ELSE race_code END
    FROM role_k12_enrollment
    UNION ALL
    SELECT source_extract, record_id, county_fips, dob_year, NULL, NULL FROM role_ui_claims
    UNION ALL
    SELECT source_extract, record_id, county_fips, NULL, NULL, NULL FROM role_wage_records
    UNION ALL
    SELECT source_extract, record_id, NULL, dob_year, NULL, NULL
    FROM role_postsecondary_enrollment
    UNION ALL
    SELECT source_extract, record_id, NULL, dob_year, NULL, NULL
    FROM role_postsecondary_completion
),
described AS (
    -- records counted by source, linkage and every subgroup at once (a few thousand cells
    -- instead of a row per record for what follows)
    SELECT k.source_extract, k.linked,
           a.county_fips,
           CASE WHEN a.birth_year IS NULL THEN NULL
                WHEN year(getvariable('run_date')) - a.birth_year < 18 THEN '0-17'
                WHEN year(getvariable('run_date')) - a.birth_year < 25 THEN '18-24'
                WHEN year(getvariable('run_date')) - a.birth_year < 35 THEN '25-34'
                WHEN year(getvariable('run_date')) - a.birth_year < 45 THEN '35-44'
                WHEN year(getvariable('run_date')) - a.birth_year < 55 THEN '45-54'
                WHEN year(getvariable('run_date')) - a.birth_year < 65 THEN '55-64'
                ELSE '65+' END AS age_band,
           a.sex IS NOT NULL AS sex_given,
           coalesce(s.sex_name, 'Unknown') AS sex,
           a.race_ethnicity IS NOT NULL AS race_given,
           coalesce(r.race_ethnicity_name, 'Unknown') AS race_ethnicity,
           count(*) AS records
    FROM keyed k
    LEFT JOIN attributes a USING (source_extract, record_id)
    LEFT JOIN ref_sexes s ON s.sex = a.sex
    LEFT JOIN ref_race_ethnicity r ON r.race_ethnicity = a.race_ethnicity
    GROUP BY ALL
),
described_by AS (
    -- which subgroups each source can be described by at all
    SELECT source_extract,
           bool_or(county_fips IS NOT NULL) AS has_county,
           bool_or(age_band IS NOT NULL) AS has_age,
           bool_or(sex_given) AS has_sex,
           bool_or(race_given) AS has_race
    FROM described
    GROUP BY source_extract
),
flagged AS (
    SELECT * FROM described JOIN described_by USING (source_extract)
),
subgroups AS (
    SELECT source_extract, 'all' AS subgroup_type, 'all' AS subgroup, linked, records
    FROM described
    UNION ALL
    SELECT source_extract, 'county', coalesce(county_fips, 'Unknown'), linked, records
    FROM flagged WHERE has_county
    UNION ALL
    SELECT source_extract, 'age_band', coalesce(age_band, 'Unknown'), linked, records
    FROM flagged WHERE has_age
    UNION ALL
    SELECT source_extract, 'sex', sex, linked, records
    FROM flagged WHERE has_sex
    UNION ALL
    SELECT source_extract, 'race_ethnicity', race_ethnicity, linked, records
    FROM flagged WHERE has_race
)
SELECT source_extract, subgroup_type, subgroup,
       sum(records)::BIGINT AS records,
       coalesce(sum(records) FILTER (WHERE linked), 0)::BIGINT AS linked_records,
       coalesce(sum(records) FILTER (WHERE linked), 0) / sum(records) AS match_rate
FROM subgroups
GROUP BY ALL
ORDER BY source_extract, subgroup_type, subgroup;
