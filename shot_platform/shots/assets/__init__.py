"""Dagster assets of the shot pipeline (group ``shots``)."""
