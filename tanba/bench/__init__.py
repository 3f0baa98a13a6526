"""Benchmarks: each measures Tanba against the limit measured on the same machine in the same run."""
