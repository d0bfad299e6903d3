"""Marts: dashboard tables, aggregated and disclosure-controlled, in schema ``marts``."""
