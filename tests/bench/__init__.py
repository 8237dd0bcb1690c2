"""Speed benchmarks against the physical floor (`make bench`, `python -m tests.bench`).

Not a test module: pytest collects only ``test_*.py``; tests/test_bench.py smoke-runs it.
"""
