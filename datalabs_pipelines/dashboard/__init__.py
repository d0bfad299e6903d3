"""The dashboard: a self-contained HTML page built from the published snapshot only."""
