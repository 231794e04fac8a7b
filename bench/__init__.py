"""Benchmarks: speed measured as ratios and medians, never asserted in tests."""
