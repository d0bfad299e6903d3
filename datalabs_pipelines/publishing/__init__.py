"""Publishing: the read-only snapshot of the marts that dashboards open."""
