"""Benchmarks: each prints its figures and writes bench/results/<name>.json with a baseline measured in
the same run and the ratio against it. `make bench` (python -m bench [NAME ...]) runs them."""
