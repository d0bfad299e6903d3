"""Cleaning: raw text → typed, standardized, de-duplicated, tokenized staging tables."""
