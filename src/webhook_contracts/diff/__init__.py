"""Comparisons of two things of one kind: schema against schema, contract
revision against revision, payload against payload."""
