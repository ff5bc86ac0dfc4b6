"""Benchmarks of optiree against the floor (numpy + highspy): see docs/performance.md."""
