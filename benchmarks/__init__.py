"""Benchmarks: the reference webhook endpoint and `make bench`'s driver (`benchmarks/run.py`)."""
