"""The production profile: the DuckLake warehouse backend and the deployment files beside it."""
