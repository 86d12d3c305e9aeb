"""Benchmarks: the pipeline as its users run it, beside the broker's own ceiling."""
