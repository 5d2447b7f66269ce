"""Scheduled work in one process: pollers, alerts, the daily report, mail."""
