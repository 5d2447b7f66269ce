"""Benchmarks: scripts that measure speed as ratios against a baseline run in the same process.

Not tests. Each prints a table and writes JSON to benchmarks/out/; docs/benchmarks.md
records the results with date and machine.
"""
