"""Every integrated procurement table: its grain, source and columns (for specs and docs)."""

from __future__ import annotations

from dataclasses import dataclass

from datalabs_pipelines.procurement.keys import ASSIGNMENT_COLUMNS, CHANGE_COLUMNS
from datalabs_pipelines.procurement.sources import RECORDS_COLUMNS


@dataclass(frozen=True)
class Table:
    name: str
    summary: str
    source: str
    grain: str
    columns: dict[str, tuple[str, str]]


V = "VARCHAR"
LINKAGE_TABLES = (
    Table(
        "business_records",
        "Vendor-master and registry records in one comparable shape.",
        "every contract filling the `vendor_master` or `certified_firm_registry` role",
        "one row per staged vendor or registry record",
        RECORDS_COLUMNS,
    ),
    Table(
        "vendor_matches",
        "Every candidate pair of business records with its probability "
        "and decision (FEIN, linked, review, decided_by_fein, refused_fein_conflict).",
        "`integrated.business_records`, scored by the versioned Splink model",
        "one row per FEIN link or scored pair above the review floor",
        {
            "uid_l": (V, "first record (source_extract|record_id)"),
            "uid_r": (V, "second record"),
            "method": (V, "fein or splink"),
            "match_probability": ("DOUBLE", "probability the two are one business"),
            "match_weight": ("DOUBLE", "Splink match weight (log2 Bayes factor)"),
            "decision": (V, "linked, review, decided_by_fein or refused_fein_conflict"),
        },
    ),
    Table(
        "vendor_match_review",
        "Uncertain pairs left unlinked for a person to decide.",
        "`integrated.vendor_matches`",
        "one row per pair in the review band whose records are in different businesses",
        {
            "match_probability": ("DOUBLE", "probability the two are one business"),
            "match_weight": ("DOUBLE", "Splink match weight"),
            **{
                f"{c}_{s}": (V, f"{c} of the {side} record")
                for s, side in (("l", "first"), ("r", "second"))
                for c in ("source_extract", "record_id")
            },
            **{
                f"vendor_key_{s}": (V, f"current key of the {side} record")
                for s, side in (("l", "first"), ("r", "second"))
            },
            **{
                f"{c}_{s}": (V, f"{c} of the {side} record (public business data)")
                for c in ("name", "address", "city", "zip", "phone")
                for s, side in (("l", "first"), ("r", "second"))
            },
        },
    ),
    Table(
        "vendor_keys",
        "The business every vendor-master and registry record belongs to.",
        "`integrated.business_records` clustered; keys from `vendor_key_assignments`",
        "one row per staged vendor or registry record",
        {
            "source_extract": (V, "extract of the record"),
            "record_id": (V, "staging record id"),
            "vendor_key": (V, "stable business key"),
            "source_id": (V, "the source's own id"),
            "role": (V, "vendor or registry"),
        },
    ),
    Table(
        "vendor_key_assignments",
        "Persistent memory of every record's key across runs.",
        "vendor resolution, run after run",
        "one row per source record ever seen",
        {c: (t, c.replace("_", " ")) for c, t in ASSIGNMENT_COLUMNS.items()},
    ),
    Table(
        "vendor_key_changes",
        "Log of key changes (new record, merge, split) with run id.",
        "vendor resolution, run after run",
        "one row per record whose key changed in a run",
        {c: (t, c.replace("_", " ")) for c, t in CHANGE_COLUMNS.items()},
    ),
)

CERT = {
    "vendor_key": (V, "business certified"),
    "source_extract": (V, "registry extract"),
    "record_id": (V, "registry record"),
    "certification_id": (V, "certification number (the record id when the registry has none)"),
    "certification_type": (V, "one code as written, upper-cased (MBE, WBE, VBE, HA, ...)"),
    "ownership": (V, "ownership the code stands for (the registry contract's value map)"),
    "program": (V, "program it counts toward (the registry contract's value map)"),
    "certifying_body": (V, "body that issued it"),
    "valid_from": ("DATE", "first valid day"),
    "valid_to": ("DATE", "last valid day"),
    "flag": (V, "why it cannot count (empty when it can)"),
}
SPEND_COMMON = {
    "fiscal_year": ("BIGINT", "fiscal year named after the year it ends in"),
    "category": (V, "two-digit NAICS of what was bought ('??' if none)"),
    "certified_programs": ("VARCHAR[]", "programs certified for on the (effective) date"),
    "flag": (V, "why it cannot count as it stands (empty when it can)"),
}
FACT_TABLES = (
    Table("procurement_programs", "Programs and goals from config.yaml.", "`config.yaml`",
          "one row per program", {"program": (V, "program code"), "goal_pct": ("DOUBLE",
          "goal in percent of spend"), "description": (V, "what the program is")}),
    Table("value_maps", "Value maps of the contracts (certification codes to ownership and "
          "program, agency names to codes).", "the contracts' `value_maps`",
          "one row per contract, column, code and field", {
              "source_extract": (V, "contract giving the map"),
              "column_name": (V, "column mapped"), "code": (V, "code, trimmed, upper-cased"),
              "field": (V, "what it maps to (ownership, program, agency_code)"),
              "value": (V, "mapped value")}),
    Table("procurement_parameters", "Fiscal-year start and disparity thresholds from config.",
          "`config.yaml`", "one row", {
              "fiscal_year_start_month": ("INTEGER", "first month of the fiscal year"),
              "disparity_threshold": ("DOUBLE", "index below this is flagged"),
              "min_available_firms": ("INTEGER", "firms needed for an area for improvement")}),
    Table("certifications", "Certifications in time, on vendor keys, mapped to programs.",
          "role `certified_firm_registry`, `integrated.vendor_keys`, `integrated.value_maps`",
          "one row per certification code of a registry record", CERT),
    Table("procurement_businesses", "Businesses with their category and first registration.",
          "`integrated.vendor_keys`, role `vendor_master`", "one row per vendor_key", {
              "vendor_key": (V, "business"), "vendor_name": (V, "name in the vendor master"),
              "category": (V, "two-digit NAICS of the business"),
              "first_registered": ("DATE", "first vendor registration"),
              "vendor_records": ("BIGINT", "vendor-master records"),
              "registry_records": ("BIGINT", "registry records")}),
    Table("procurement_payments", "Payment lines on vendor keys, with certified programs.",
          "role `payments`, `integrated.vendor_keys`, `integrated.certifications`",
          "one row per staged payment line", {
              "source_extract": (V, "payments extract"), "record_id": (V, "staging record id"),
              "payment_id": (V, "payment line"),
              "vendor_id": (V, "vendor paid"), "vendor_key": (V, "business paid"),
              "agency_code": (V, "paying agency"), "payment_date": ("DATE", "date issued"),
              "effective_date": ("DATE", "date it counts on (a void: its payment's date)"),
              "amount": ("DECIMAL(18,2)", "amount, negative for voids and refunds"),
              "voids_payment_id": (V, "payment a void reverses"), **SPEND_COMMON}),
    Table("procurement_awards", "Contract awards on vendor keys, with certified programs.",
          "role `awards`, `integrated.vendor_keys`, `integrated.certifications`",
          "one row per staged award", {
              "source_extract": (V, "awards extract"), "record_id": (V, "staging record id"),
              "award_id": (V, "award"),
              "contract_id": (V, "contract"), "vendor_id": (V, "vendor awarded"),
              "vendor_key": (V, "business awarded"), "agency_code": (V, "awarding agency"),
              "award_date": ("DATE", "date of award"),
              "award_amount": ("DECIMAL(18,2)", "amount awarded"), **SPEND_COMMON}),
    Table("procurement_fiscal_years", "Fiscal years the data touches, with their bounds.",
          "`integrated.procurement_payments`, `integrated.procurement_awards`",
          "one row per fiscal year", {"fiscal_year": ("BIGINT", "fiscal year"),
          "starts_on": ("DATE", "first day"), "ends_on": ("DATE", "last day")}),
    Table("procurement_flags", "Records kept but flagged, with their reason.",
          "`integrated.procurement_payments`, `procurement_awards`, `certifications`",
          "one row per flagged record", {
              "source_extract": (V, "extract"), "record_id": (V, "staging record id"),
              "source_id": (V, "payment, award or certification id"),
              "reason": (V, "why it cannot count as it stands"),
              "amount": ("DECIMAL(18,2)", "amount, if any")}),
)  # fmt: skip
