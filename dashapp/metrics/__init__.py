"""Measures: NPS arithmetic, windows, a selection's parameters and the SQL behind the figures."""
