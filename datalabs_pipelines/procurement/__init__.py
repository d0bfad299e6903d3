"""Procurement equity: vendor resolution, certifications in time, certified spend."""
