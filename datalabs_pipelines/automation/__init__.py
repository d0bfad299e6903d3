"""Automation: the landing sensor and the nightly schedule."""
