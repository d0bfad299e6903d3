"""The benchmark harness (`datalabs bench`) and the opt-in SQL recorder it replays."""
