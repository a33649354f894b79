"""Benchmarks run by hand: ``python -m bench.run`` (see ``bench/run.py``)."""
