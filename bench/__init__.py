"""Benchmarks (`make bench`): figures printed as ratios measured in one run, never timed assertions."""
