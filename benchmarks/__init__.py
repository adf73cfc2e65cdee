"""Benchmarks: one script per figure, each ending with one JSON line (see report.py)."""
