"""Data quality: contract expectations evaluated by Great Expectations, shown as asset checks."""
