"""Outcomes: integrated, person-keyed facts (schema ``integrated``) behind the outcome marts."""
