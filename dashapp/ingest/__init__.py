"""Ingest: raw records validated, deduplicated, language-tagged, stored with labels and rollups."""
