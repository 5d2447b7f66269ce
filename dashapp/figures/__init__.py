"""Figures as people see them: the cached NPS engine, comparisons and Plotly charts."""
