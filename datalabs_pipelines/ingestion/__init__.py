"""Ingestion: landing files → raw tables (all text + lineage) and quarantine, per contract."""
